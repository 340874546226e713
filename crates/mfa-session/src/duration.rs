//! `--duration`: how long the MFA session lasts. Accepts `900s`, `15m`, `12h`,
//! `1h30m` (units in that order, each at most once, case-insensitive, optional
//! spaces between parts) or bare seconds; GetSessionToken allows 900 s to 36 h.

use std::fmt;
use std::str::FromStr;

/// The shortest session GetSessionToken grants (15 minutes).
pub const MIN_SECONDS: u32 = 900;
/// The longest session GetSessionToken grants to an IAM user (36 hours).
pub const MAX_SECONDS: u32 = 129_600;

/// A session length within GetSessionToken's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionDuration(u32);

/// Why a `--duration` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("empty duration; write e.g. 12h, 1h30m, 15m or 900s")]
    Empty,
    #[error("invalid duration {input:?}: {reason}; write e.g. 12h, 1h30m, 15m or 900s")]
    Invalid { input: String, reason: String },
    #[error(
        "duration {input} is {seconds} seconds, outside what GetSessionToken accepts: 15m (900 s) to 36h (129600 s)"
    )]
    OutOfRange { input: String, seconds: u64 },
}

impl SessionDuration {
    /// The default, and AWS's own default for GetSessionToken: 12 hours.
    pub const DEFAULT: SessionDuration = SessionDuration(12 * 3600);

    /// A duration of `seconds`, if within bounds.
    pub fn from_seconds(seconds: u32) -> Result<Self, DurationError> {
        check_range(&format!("{seconds}s"), u64::from(seconds))
    }

    /// The length in seconds (for `DurationSeconds`).
    pub fn seconds(self) -> u32 {
        self.0
    }
}

fn check_range(input: &str, seconds: u64) -> Result<SessionDuration, DurationError> {
    if (u64::from(MIN_SECONDS)..=u64::from(MAX_SECONDS)).contains(&seconds) {
        Ok(SessionDuration(seconds as u32))
    } else {
        Err(DurationError::OutOfRange {
            input: input.to_string(),
            seconds,
        })
    }
}

impl FromStr for SessionDuration {
    type Err = DurationError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let text = input.trim();
        if text.is_empty() {
            return Err(DurationError::Empty);
        }
        let invalid = |reason: &str| DurationError::Invalid {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        if text.bytes().all(|b| b.is_ascii_digit()) {
            let seconds = text
                .parse::<u64>()
                .map_err(|_| invalid("number too large"))?;
            return check_range(text, seconds);
        }
        let mut total: u64 = 0;
        // Units already seen, in the only order allowed: h, m, s.
        let mut last_rank: Option<usize> = None;
        let mut rest = text;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                let c = rest.chars().next().unwrap_or(' ');
                return Err(if c == '.' || c == ',' {
                    invalid("fractions are not supported (write 1h30m, not 1.5h)")
                } else if c == '-' {
                    invalid("negative durations make no sense")
                } else {
                    invalid(&format!("expected a number before {c:?}"))
                });
            }
            let number: u64 = rest[..digits]
                .parse()
                .map_err(|_| invalid("number too large"))?;
            rest = &rest[digits..];
            let unit = rest.chars().next();
            let (rank, factor) = match unit.map(|c| c.to_ascii_lowercase()) {
                Some('h') => (0, 3600),
                Some('m') => (1, 60),
                Some('s') => (2, 1),
                Some('.') | Some(',') => {
                    return Err(invalid(
                        "fractions are not supported (write 1h30m, not 1.5h)",
                    ));
                }
                Some('d') => {
                    return Err(invalid(
                        "days are not supported (the longest session is 36h)",
                    ));
                }
                Some(c) => return Err(invalid(&format!("unknown unit {c:?} (use h, m or s)"))),
                None => return Err(invalid("a number without a unit after another part")),
            };
            if last_rank.is_some_and(|last| rank <= last) {
                return Err(invalid("units must appear once each, in the order h, m, s"));
            }
            last_rank = Some(rank);
            total = number
                .checked_mul(factor)
                .and_then(|n| total.checked_add(n))
                .ok_or_else(|| invalid("number too large"))?;
            rest = rest[1..].trim_start();
        }
        check_range(text, total)
    }
}

impl fmt::Display for SessionDuration {
    /// Compact form: `12h`, `1h30m`, `15m`, `15m30s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (h, m, s) = (self.0 / 3600, self.0 % 3600 / 60, self.0 % 60);
        if h > 0 {
            write!(f, "{h}h")?;
        }
        if m > 0 {
            write!(f, "{m}m")?;
        }
        if s > 0 {
            write!(f, "{s}s")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> u32 {
        s.parse::<SessionDuration>()
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .seconds()
    }

    fn err(s: &str) -> DurationError {
        s.parse::<SessionDuration>().expect_err(s)
    }

    #[test]
    fn accepts_the_documented_forms() {
        assert_eq!(secs("900s"), 900);
        assert_eq!(secs("15m"), 900);
        assert_eq!(secs("12h"), 43_200);
        assert_eq!(secs("1h30m"), 5_400);
        assert_eq!(secs("1h30m15s"), 5_415);
        assert_eq!(secs("1h 30m"), 5_400);
        assert_eq!(secs(" 2H "), 7_200);
        assert_eq!(secs("3600"), 3_600);
        assert_eq!(secs("90m"), 5_400);
        assert_eq!(SessionDuration::DEFAULT.seconds(), 43_200);
    }

    #[test]
    fn bounds_are_inclusive_900_s_to_36_h() {
        assert_eq!(secs("900"), MIN_SECONDS);
        assert_eq!(secs("36h"), MAX_SECONDS);
        assert_eq!(secs("129600s"), MAX_SECONDS);
        assert_eq!(secs("35h59m59s"), MAX_SECONDS - 1);
        for s in ["899s", "14m59s", "14m", "0h", "0", "36h1s", "37h", "129601"] {
            assert!(
                matches!(err(s), DurationError::OutOfRange { .. }),
                "{s}: {:?}",
                err(s)
            );
        }
        assert_eq!(
            err("10m").to_string(),
            "duration 10m is 600 seconds, outside what GetSessionToken accepts: 15m (900 s) to 36h (129600 s)"
        );
        assert!(SessionDuration::from_seconds(899).is_err());
        assert_eq!(
            SessionDuration::from_seconds(900).map(|d| d.seconds()),
            Ok(900)
        );
    }

    #[test]
    fn refuses_malformed_input_with_a_reason() {
        assert_eq!(err(""), DurationError::Empty);
        assert_eq!(err("   "), DurationError::Empty);
        for (input, reason) in [
            ("1.5h", "fractions"),
            ("1d", "days are not supported"),
            ("2w", "unknown unit 'w'"),
            ("30m1h", "order h, m, s"),
            ("1h1h", "order h, m, s"),
            ("1h30", "without a unit"),
            ("h", "expected a number"),
            ("-1h", "negative"),
            ("99999999999999999999999h", "too large"),
            ("9999999999999999h", "too large"),
        ] {
            let e = err(input);
            assert!(
                matches!(&e, DurationError::Invalid { .. }) && e.to_string().contains(reason),
                "{input}: {e}"
            );
        }
    }

    #[test]
    fn displays_compactly_and_round_trips() {
        for s in ["15m", "12h", "1h30m", "15m30s", "36h", "1h0m5s"] {
            let d: SessionDuration = s.parse().unwrap();
            let back: SessionDuration = d.to_string().parse().unwrap();
            assert_eq!(back, d, "{s} -> {d}");
        }
        assert_eq!(secs("1h0m5s"), 3605);
        assert_eq!(
            "1h30m".parse::<SessionDuration>().unwrap().to_string(),
            "1h30m"
        );
        assert_eq!("900".parse::<SessionDuration>().unwrap().to_string(), "15m");
    }
}
