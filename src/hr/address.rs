//! Email addresses: validation, masking for logs, the hash that ties a user to a person.

use std::fmt;

/// An email address that SES accepts as a destination: an ASCII local part and
/// a domain in its ASCII (Punycode) form, `local@domain.tld`.
#[derive(Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Checks the address syntax: one `@`; a dot-atom local part of at most 64 ASCII
    /// characters (SES's v1 API cannot send to a non-ASCII local part); a domain in
    /// Unicode or Punycode form, converted to ASCII with UTS #46 (the `idna` crate,
    /// STD3 rules, DNS lengths), of at least two labels ending in an alphabetic or
    /// internationalised (`xn--`) top-level domain; at most 254 characters in all.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        if value.is_empty() {
            return Err("must not be empty".into());
        }
        // Bounds the IDNA work; the real limit is checked on the ASCII form below.
        if value.chars().count() > 1024 {
            return Err("must be at most 254 characters".into());
        }
        let (local, domain) = value.split_once('@').ok_or("must contain an @")?;
        if domain.contains('@') {
            return Err("must contain exactly one @".into());
        }
        if !local.is_ascii() {
            return Err("the part before @ must be ASCII: Amazon SES (v1 API) cannot send to an address whose local part has non-ASCII characters".into());
        }
        let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
        if local.is_empty() || local.len() > 64 {
            return Err("the part before @ must be 1 to 64 characters".into());
        }
        if local
            .split('.')
            .any(|atom| atom.is_empty() || !atom.chars().all(atext))
        {
            return Err("the part before @ has a character or dot that is not allowed".into());
        }
        let domain = idna::domain_to_ascii_strict(domain)
            .map_err(|_| "the domain is not a valid host name (checked with IDNA / UTS #46)")?;
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return Err("the domain must have at least two labels, like example.com".into());
        }
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if !labels.iter().all(label_ok) {
            return Err("the domain is not a valid host name".into());
        }
        let tld = labels[labels.len() - 1];
        let idn_tld = tld.starts_with("xn--");
        if tld.len() < 2 || !(idn_tld || tld.chars().all(|c| c.is_ascii_alphabetic())) {
            return Err("the domain must end in an alphabetic top-level domain".into());
        }
        let address = format!("{local}@{domain}");
        if address.len() > 254 {
            return Err("must be at most 254 characters (with the domain in ASCII form)".into());
        }
        Ok(Self(address))
    }

    /// The address SES receives: the local part as given, the domain in lower-case
    /// ASCII (Punycode) form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address with the local part hidden (`j***@example.com`), for logs.
    pub fn masked(&self) -> String {
        mask_email(&self.0)
    }

    /// Hex SHA-256 of the canonical address: lower-cased, domain in ASCII form (the
    /// [`EMAIL_HASH_TAG`](crate::identity::ownership::EMAIL_HASH_TAG) value). The Unicode
    /// and Punycode spellings of one address hash alike; an ASCII address hashes as it
    /// did before international domains were accepted.
    pub fn sha256_hex(&self) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(self.0.to_ascii_lowercase().as_bytes()))
    }

    /// The local part (before `@`).
    pub fn local_part(&self) -> &str {
        self.0.split('@').next().unwrap_or_default()
    }
}

/// Masks an email-like string for logs: first character of the local part, then `***`.
pub fn mask_email(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_string(),
    }
}

/// Masks every email address inside `text` (e.g. an AWS error message) the way
/// [`mask_email`] does, leaving the rest unchanged.
pub fn mask_emails_in(text: &str) -> String {
    let is_local = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
    let is_domain = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '@' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let mut local = Vec::new();
        while let Some(c) = out.chars().last().filter(|c| is_local(*c)) {
            local.push(c);
            out.pop();
        }
        let end = (i + 1..chars.len())
            .find(|&j| !is_domain(chars[j]))
            .unwrap_or(chars.len());
        match local.last() {
            Some(_) if end > i + 1 => {
                let address: String = local.iter().rev().chain(&chars[i..end]).collect();
                out.push_str(&mask_email(&address));
                i = end;
            }
            _ => {
                out.extend(local.iter().rev());
                out.push('@');
                i += 1;
            }
        }
    }
    out
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.masked())
    }
}
