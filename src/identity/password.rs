//! One-time console passwords: generated from a CSPRNG to satisfy the account's
//! password policy, and held in a type that never prints its value.

use std::fmt;

use rand::CryptoRng;
use rand::RngExt;
use rand::seq::SliceRandom;

const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const DIGITS: &[u8] = b"0123456789";
/// The symbols IAM accepts in passwords.
pub const SYMBOLS: &[u8] = b"!@#$%^&*()_+-=[]{}|'";
/// Passwords are never shorter than this, whatever the account policy allows.
pub const MIN_GENERATED_LENGTH: usize = 20;
/// IAM's maximum password length.
pub const MAX_LENGTH: usize = 128;

/// The parts of the account password policy that constrain a new password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Minimum length required by the account.
    pub minimum_length: usize,
    /// Whether the account requires an uppercase letter.
    pub require_uppercase: bool,
    /// Whether the account requires a lowercase letter.
    pub require_lowercase: bool,
    /// Whether the account requires a digit.
    pub require_numbers: bool,
    /// Whether the account requires a symbol.
    pub require_symbols: bool,
}

impl PasswordPolicy {
    /// AWS's default policy, which applies when the account has none set:
    /// 8 to 128 characters, at least three of the four character classes.
    pub const AWS_DEFAULT: Self = Self {
        minimum_length: 8,
        require_uppercase: false,
        require_lowercase: false,
        require_numbers: false,
        require_symbols: false,
    };

    /// The length of passwords generated for this policy.
    pub fn generated_length(&self) -> usize {
        self.minimum_length.clamp(MIN_GENERATED_LENGTH, MAX_LENGTH)
    }
}

/// A one-time password. Its `Debug` is redacted and it has no `Display`; the
/// value is reachable only through [`OneTimePassword::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimePassword(String);

impl OneTimePassword {
    /// Generates a password for `policy`: `policy.generated_length()` characters
    /// with every character class present (which satisfies both explicit class
    /// requirements and AWS's default "three of four" rule), symbols only from
    /// IAM's allowed set. The `CryptoRng` bound keeps non-cryptographic RNGs out.
    pub fn generate<R: CryptoRng + ?Sized>(policy: &PasswordPolicy, rng: &mut R) -> Self {
        let length = policy.generated_length();
        let classes = [UPPER, LOWER, DIGITS, SYMBOLS];
        let all: Vec<u8> = classes.concat();
        let mut chars: Vec<u8> = classes
            .iter()
            .map(|class| class[rng.random_range(0..class.len())])
            .collect();
        while chars.len() < length {
            chars.push(all[rng.random_range(0..all.len())]);
        }
        chars.shuffle(rng);
        Self(chars.into_iter().map(char::from).collect())
    }

    /// Wraps a known value, to check it with [`OneTimePassword::satisfies`] in tests.
    #[cfg(test)]
    pub(crate) fn from_known(value: &str) -> Self {
        Self(value.to_string())
    }

    /// The password itself, for the IAM request and the email body only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether this password satisfies `policy` and IAM's character rules.
    pub fn satisfies(&self, policy: &PasswordPolicy) -> bool {
        let p = &self.0;
        let has = |set: &[u8]| p.bytes().any(|b| set.contains(&b));
        let classes = [has(UPPER), has(LOWER), has(DIGITS), has(SYMBOLS)];
        p.len() >= policy.minimum_length
            && p.len() <= MAX_LENGTH
            && p.bytes().all(|b| {
                [UPPER, LOWER, DIGITS, SYMBOLS]
                    .iter()
                    .any(|set| set.contains(&b))
            })
            && (!policy.require_uppercase || classes[0])
            && (!policy.require_lowercase || classes[1])
            && (!policy.require_numbers || classes[2])
            && (!policy.require_symbols || classes[3])
            && classes.iter().filter(|c| **c).count() >= 3
    }
}

impl fmt::Debug for OneTimePassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimePassword(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict(min: usize) -> PasswordPolicy {
        PasswordPolicy {
            minimum_length: min,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
        }
    }

    #[test]
    fn satisfies_default_and_strict_policies() {
        let mut rng = rand::rng();
        for policy in [
            PasswordPolicy::AWS_DEFAULT,
            strict(8),
            strict(32),
            strict(128),
        ] {
            for _ in 0..200 {
                let password = OneTimePassword::generate(&policy, &mut rng);
                assert!(password.satisfies(&policy), "policy {policy:?}");
                assert_eq!(password.expose().len(), policy.generated_length());
            }
        }
    }

    #[test]
    fn length_is_at_least_twenty_and_follows_the_policy() {
        assert_eq!(PasswordPolicy::AWS_DEFAULT.generated_length(), 20);
        assert_eq!(strict(32).generated_length(), 32);
        assert_eq!(strict(200).generated_length(), 128);
    }

    #[test]
    fn uses_only_iam_characters_and_varies() {
        let mut rng = rand::rng();
        let a = OneTimePassword::generate(&PasswordPolicy::AWS_DEFAULT, &mut rng);
        let b = OneTimePassword::generate(&PasswordPolicy::AWS_DEFAULT, &mut rng);
        assert_ne!(a, b);
        assert!(
            a.expose()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || SYMBOLS.contains(&c))
        );
    }

    #[test]
    fn checker_rejects_what_it_should() {
        let policy = strict(8);
        assert!(!OneTimePassword("short1!A".to_string() + "").satisfies(&strict(9)));
        assert!(!OneTimePassword("alllowercase1!".into()).satisfies(&policy));
        assert!(!OneTimePassword("NoSymbols123abc".into()).satisfies(&policy));
        assert!(!OneTimePassword("Has space 1!Aa".into()).satisfies(&policy));
        assert!(!OneTimePassword("abcdefgh12".into()).satisfies(&PasswordPolicy::AWS_DEFAULT));
        assert!(OneTimePassword("Abcdefg1!x".into()).satisfies(&policy));
    }

    #[test]
    fn debug_never_shows_the_value() {
        let password = OneTimePassword::generate(&PasswordPolicy::AWS_DEFAULT, &mut rand::rng());
        let debug = format!("{password:?} {:?}", Some(&password));
        assert!(!debug.contains(password.expose()));
        assert!(debug.contains("<redacted>"));
    }
}
