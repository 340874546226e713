// The one-time reveal page (issue 22). The key is the link's fragment (never
// sent to a server); the server keeps only the sealed password and SHA-256 of a
// proof derived from the key. The format is src/identity/reveal_link.rs's:
// key and proof are HKDF-SHA256(secret, salt = id, info), the password
// AES-256-GCM with the id as associated data.
"use strict";

(() => {
  const ID_LENGTH = 22;
  const KEY_INFO = "iam-onboarding reveal v1 key";
  const PROOF_INFO = "iam-onboarding reveal v1 proof";
  const encoder = new TextEncoder();
  const $ = (id) => document.getElementById(id);

  function show(id) {
    for (const section of document.querySelectorAll("main > section")) {
      section.hidden = section.id !== id;
    }
  }

  function fromBase64Url(text) {
    if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    try {
      return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    } catch {
      return null;
    }
  }

  function toBase64Url(bytes) {
    let binary = "";
    for (const b of bytes) binary += String.fromCharCode(b);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // The id is the path's last segment. Some mail gateways rewrite "#" as %23 or
  // %2523, which moves the key into the path: read it from there too.
  function readLink() {
    const segments = location.pathname.split("/");
    let last = segments[segments.length - 1];
    for (let i = 0; i < 3 && last.includes("%"); i++) {
      try {
        last = decodeURIComponent(last);
      } catch {
        break;
      }
    }
    const id = last.slice(0, ID_LENGTH);
    let secret = location.hash.slice(1);
    if (!secret && last.charAt(ID_LENGTH) === "#") secret = last.slice(ID_LENGTH + 1);
    return { id, secret };
  }

  // Leaves /reveal/<id> in the address bar and history: no key, no mangled path.
  function forgetKey(id) {
    history.replaceState(null, "", new URL(encodeURIComponent(id), location.href).pathname);
  }

  function utc(seconds) {
    return new Date(seconds * 1000).toUTCString().replace("GMT", "UTC");
  }

  const REFUSALS = {
    already_viewed: (at) => ["This password was already revealed", `The link was used on ${utc(at)}. A link shows the password only once.`],
    replaced: (at) => ["This link was replaced", `A newer link was sent on ${utc(at)}; this one and its password no longer work.`],
    expired: (at) => ["This link has expired", `It expired on ${utc(at)}.`],
    bad_proof: () => ["This link is not valid", "The key in the link does not match. Open the link from your email again, exactly as it is; nothing was used up."],
    unknown: () => ["This link is not valid", "It does not exist or expired some time ago."],
  };

  async function reveal(id, secretBytes) {
    const ikm = await crypto.subtle.importKey("raw", secretBytes, "HKDF", false, ["deriveBits", "deriveKey"]);
    const hkdf = (info) => ({ name: "HKDF", hash: "SHA-256", salt: encoder.encode(id), info: encoder.encode(info) });
    const proof = new Uint8Array(await crypto.subtle.deriveBits(hkdf(PROOF_INFO), ikm, 256));
    const response = await fetch(new URL(encodeURIComponent(id), location.href), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ proof: toBase64Url(proof) }),
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer",
    });
    const answer = await response.json().catch(() => ({}));
    if (response.status === 410) {
      const refusal = REFUSALS[answer.outcome] || REFUSALS.unknown;
      const [title, detail] = refusal(answer.at);
      forgetKey(id);
      $("gone-title").textContent = title;
      $("gone-detail").textContent = detail;
      show("gone");
      return;
    }
    if (!response.ok) {
      $("failed-detail").textContent = `The server answered ${response.status}. Nothing was used up: try again in a minute.`;
      show("failed");
      return;
    }
    const key = await crypto.subtle.deriveKey(hkdf(KEY_INFO), ikm, { name: "AES-GCM", length: 256 }, false, ["decrypt"]);
    const plaintext = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64Url(answer.nonce), additionalData: encoder.encode(id) },
      key,
      fromBase64Url(answer.ciphertext),
    );
    const credentials = JSON.parse(new TextDecoder().decode(plaintext));
    forgetKey(id);
    $("username").textContent = credentials.username;
    $("password").textContent = credentials.password;
    const signin = $("signin");
    signin.textContent = credentials.signInUrl;
    if (/^https:\/\//.test(credentials.signInUrl)) signin.href = credentials.signInUrl;
    $("copy").addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(credentials.password);
        $("copied").textContent = "Copied";
      } catch {
        $("copied").textContent = "Select the password and copy it by hand";
      }
    });
    show("revealed");
  }

  document.addEventListener("DOMContentLoaded", () => {
    const { id, secret } = readLink();
    const secretBytes = fromBase64Url(secret);
    if (id.length !== ID_LENGTH || !secretBytes || secretBytes.length !== 32) {
      show("nokey");
      return;
    }
    show("ready");
    $("reveal").addEventListener("click", () => {
      show("working");
      reveal(id, secretBytes).catch((error) => {
        $("failed-detail").textContent = `${error.name}: the link may be damaged. Nothing was shown; ask your IT team for a new link if this persists.`;
        show("failed");
      });
    });
  });
})();
