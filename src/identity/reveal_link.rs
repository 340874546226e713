//! The one-time reveal link's sealing format (version 1), shared with the page's
//! JavaScript (`src/http/reveal/assets/reveal.js`), which must derive and decrypt
//! the same way with WebCrypto:
//!
//! - `id`: 16 random bytes, base64url without padding (22 characters); the path
//!   segment of `/reveal/<id>`. `secret`: 32 random bytes, base64url (43
//!   characters); the link's fragment, never sent to a server.
//! - `key = HKDF-SHA256(ikm = secret, salt = id's ASCII, info = "iam-onboarding reveal v1 key")`,
//!   32 bytes (RFC 5869); `proof` the same with info `"… proof"`. The server keeps
//!   only `SHA-256(proof)` (hex), so its table cannot derive the key.
//! - The plaintext `{"username","password","signInUrl"}` (JSON) is sealed with
//!   AES-256-GCM (NIST SP 800-38D), a random 96-bit nonce and the id as
//!   associated data, so a ciphertext moved to another id does not open.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use rand::CryptoRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Characters of an encoded id (16 bytes, base64url, no padding).
pub const ID_LENGTH: usize = 22;
/// HKDF `info` of the AES key.
const KEY_INFO: &[u8] = b"iam-onboarding reveal v1 key";
/// HKDF `info` of the proof.
const PROOF_INFO: &[u8] = b"iam-onboarding reveal v1 proof";

/// A reveal record's id: 128 random bits, base64url (22 characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RevealId(String);

impl RevealId {
    /// A fresh random id.
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        let mut bytes = [0u8; 16];
        rng.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// `text` if it is exactly an encoded id (22 base64url characters whose last
    /// one carries no stray bits); `None` otherwise.
    pub fn parse(text: &str) -> Option<Self> {
        let decoded = URL_SAFE_NO_PAD.decode(text).ok()?;
        (text.len() == ID_LENGTH && decoded.len() == 16).then(|| Self(text.to_string()))
    }

    /// The encoded id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 16 hex digits of SHA-256 of the id: what logs name a reveal by,
    /// so a log reader cannot build the link's path.
    pub fn log_hash(&self) -> String {
        hex::encode(&Sha256::digest(self.0.as_bytes())[..8])
    }
}

/// The link's secret (its fragment). Never printed: `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct RevealSecret([u8; 32]);

impl fmt::Debug for RevealSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RevealSecret(<redacted>)")
    }
}

impl RevealSecret {
    /// A fresh 256-bit secret.
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Reads an encoded secret (43 base64url characters); `None` otherwise.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes: [u8; 32] = URL_SAFE_NO_PAD.decode(text).ok()?.try_into().ok()?;
        Some(Self(bytes))
    }

    /// The encoded secret, for the link's fragment only.
    pub fn expose(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    fn derive(&self, id: &RevealId, info: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        Hkdf::<Sha256>::new(Some(id.as_str().as_bytes()), &self.0)
            .expand(info, &mut out)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        out
    }

    /// The proof the page sends for `id`, base64url.
    pub fn proof(&self, id: &RevealId) -> String {
        URL_SAFE_NO_PAD.encode(self.derive(id, PROOF_INFO))
    }
}

/// A reveal link, `<REVEAL_BASE_URL>/reveal/<id>#<secret>`: as secret as the
/// password it reveals, so its `Debug` is redacted and it has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct RevealUrl(String);

impl fmt::Debug for RevealUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RevealUrl(<redacted>)")
    }
}

impl RevealUrl {
    /// Wraps a complete link.
    pub fn new(url: String) -> Self {
        Self(url)
    }

    /// The link `base` (no trailing `/`) + `/reveal/<id>#<secret>`.
    pub fn of(base: &str, id: &RevealId, secret: &RevealSecret) -> Self {
        Self(format!("{base}/reveal/{}#{}", id.as_str(), secret.expose()))
    }

    /// The link, for the email only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// SHA-256 (hex) of a proof as the page sends it (base64url of the derived
/// bytes); `None` when `proof` is not 32 bytes of base64url.
pub fn proof_hash(proof: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(proof).ok()?;
    (bytes.len() == 32).then(|| hex::encode(Sha256::digest(&bytes)))
}

/// What a reveal shows. Its `Debug` is redacted.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RevealedCredentials {
    /// The IAM user name.
    pub username: String,
    /// The one-time console password.
    pub password: String,
    /// The console sign-in URL.
    pub sign_in_url: String,
}

impl fmt::Debug for RevealedCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevealedCredentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("sign_in_url", &self.sign_in_url)
            .finish()
    }
}

/// A sealed record: what the table keeps (with an expiry) and the POST returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The 96-bit GCM nonce.
    pub nonce: Vec<u8>,
    /// AES-256-GCM ciphertext followed by its 128-bit tag.
    pub ciphertext: Vec<u8>,
    /// SHA-256 (hex) of the proof.
    pub proof_hash: String,
}

/// Seals `credentials` under `secret` for `id`, with a fresh nonce from `rng`.
pub fn seal(
    credentials: &RevealedCredentials,
    id: &RevealId,
    secret: &RevealSecret,
    rng: &mut impl CryptoRng,
) -> Sealed {
    let mut nonce = [0u8; 12];
    rng.fill_bytes(&mut nonce);
    let plaintext = serde_json::to_vec(credentials).expect("three strings serialise");
    let ciphertext = cipher(id, secret)
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: &plaintext,
                aad: id.as_str().as_bytes(),
            },
        )
        .expect("AES-GCM encrypts any message under 64 GiB");
    Sealed {
        nonce: nonce.to_vec(),
        ciphertext,
        proof_hash: proof_hash(&secret.proof(id)).expect("a derived proof is 32 bytes"),
    }
}

/// Opens what [`seal`] sealed (the page does the same in JavaScript); `None`
/// when the secret, id, nonce or ciphertext does not match.
pub fn open(
    id: &RevealId,
    secret: &RevealSecret,
    nonce: &[u8],
    ciphertext: &[u8],
) -> Option<RevealedCredentials> {
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    let plaintext = cipher(id, secret)
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: ciphertext,
                aad: id.as_str().as_bytes(),
            },
        )
        .ok()?;
    serde_json::from_slice(&plaintext).ok()
}

/// Why a reveal showed nothing; each answers `410 Gone` and consumes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevealRefusal {
    /// The link was used at `at` (unix seconds).
    AlreadyViewed {
        /// When it was viewed.
        at: i64,
    },
    /// A newer link (a resend) retired this one at `at`.
    Replaced {
        /// When it was retired.
        at: i64,
    },
    /// The link expired at `at`; DynamoDB's TTL had not yet removed it.
    Expired {
        /// When it expired.
        at: i64,
    },
    /// The proof does not match: a wrong or damaged link.
    BadProof,
    /// No such record: never issued, or removed by TTL after its expiry.
    Unknown,
}

impl RevealRefusal {
    /// The outcome logged and returned: `already_viewed`, `replaced`, `expired`,
    /// `bad_proof` or `unknown`.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::AlreadyViewed { .. } => "already_viewed",
            Self::Replaced { .. } => "replaced",
            Self::Expired { .. } => "expired",
            Self::BadProof => "bad_proof",
            Self::Unknown => "unknown",
        }
    }
}

fn cipher(id: &RevealId, secret: &RevealSecret) -> Aes256Gcm {
    Aes256Gcm::new(&Key::<Aes256Gcm>::from(secret.derive(id, KEY_INFO)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> RevealedCredentials {
        RevealedCredentials {
            username: "jane.doe".into(),
            password: "Xy7!-secret-password-value".into(),
            sign_in_url: "https://123456789012.signin.aws.amazon.com/console".into(),
        }
    }

    #[test]
    fn what_is_sealed_opens_with_the_secret_and_only_for_its_id() {
        let rng = &mut rand::rng();
        let (id, secret) = (RevealId::generate(rng), RevealSecret::generate(rng));
        let sealed = seal(&credentials(), &id, &secret, rng);
        assert_eq!(sealed.nonce.len(), 12);
        assert_eq!(
            open(&id, &secret, &sealed.nonce, &sealed.ciphertext),
            Some(credentials())
        );
        let other_id = RevealId::generate(rng);
        assert_eq!(
            open(&other_id, &secret, &sealed.nonce, &sealed.ciphertext),
            None
        );
        let other_secret = RevealSecret::generate(rng);
        assert_eq!(
            open(&id, &other_secret, &sealed.nonce, &sealed.ciphertext),
            None
        );
        let mut tampered = sealed.ciphertext.clone();
        tampered[0] ^= 1;
        assert_eq!(open(&id, &secret, &sealed.nonce, &tampered), None);
    }

    #[test]
    fn the_table_keeps_neither_the_password_nor_the_secret_nor_the_proof() {
        let rng = &mut rand::rng();
        let (id, secret) = (RevealId::generate(rng), RevealSecret::generate(rng));
        let sealed = seal(&credentials(), &id, &secret, rng);
        let stored = format!("{sealed:?}");
        for leaked in [
            credentials().password,
            secret.expose(),
            secret.proof(&id),
            hex::encode(secret.0),
        ] {
            assert!(!stored.contains(&leaked));
            assert!(
                !String::from_utf8_lossy(&sealed.ciphertext).contains(&leaked),
                "ciphertext holds a plaintext value"
            );
        }
        assert_eq!(proof_hash(&secret.proof(&id)), Some(sealed.proof_hash));
    }

    #[test]
    fn ids_and_secrets_have_their_exact_encoded_lengths() {
        let rng = &mut rand::rng();
        let id = RevealId::generate(rng);
        assert_eq!(id.as_str().len(), ID_LENGTH);
        assert_eq!(RevealId::parse(id.as_str()), Some(id.clone()));
        let secret = RevealSecret::generate(rng);
        assert_eq!(secret.expose().len(), 43);
        assert_eq!(RevealSecret::parse(&secret.expose()), Some(secret.clone()));
        for bad in [
            "",
            "short",
            "AAAAAAAAAAAAAAAAAAAAA=",
            "AAAAAAAAAAAAAAAAAAAAA+",
            "AAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(RevealId::parse(bad), None, "{bad}");
        }
        assert_eq!(RevealSecret::parse(id.as_str()), None);
        assert_eq!(proof_hash("not-a-proof"), None);
    }

    #[test]
    fn debug_output_hides_the_secret_and_the_password() {
        let secret = RevealSecret::generate(&mut rand::rng());
        assert_eq!(format!("{secret:?}"), "RevealSecret(<redacted>)");
        let shown = format!("{:?}", credentials());
        assert!(!shown.contains(&credentials().password));
        assert!(shown.contains("jane.doe"));
    }

    proptest::proptest! {
        #[test]
        fn no_input_makes_the_parsers_panic(text in "\\PC{0,64}", bytes in proptest::collection::vec(0u8..=255, 0..64)) {
            let _ = RevealId::parse(&text);
            let _ = RevealSecret::parse(&text);
            let _ = proof_hash(&text);
            let id = RevealId::parse("AAAAAAAAAAAAAAAAAAAAAA").unwrap();
            let secret = RevealSecret([1u8; 32]);
            proptest::prop_assert_eq!(open(&id, &secret, &bytes, &bytes), None);
        }
    }

    /// RFC 5869 by hand (Python's hmac, HKDF-Extract then one Expand block).
    #[test]
    fn the_proof_matches_an_independent_hkdf() {
        let secret = RevealSecret([7u8; 32]);
        let id = RevealId::parse("AAAAAAAAAAAAAAAAAAAAAA").unwrap();
        let proof = secret.proof(&id);
        assert_eq!(proof, "_ORjoj5F5Pw4k81HQup7VGpEf-2QhE2oIKQYUIV98_U");
        assert_eq!(
            proof_hash(&proof).unwrap(),
            "529958f3215fd40039f4e247779703e2af1ce76b7caf8438b54714df1926712b"
        );
    }
}
