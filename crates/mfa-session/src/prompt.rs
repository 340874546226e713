//! Reading the MFA code: `--code`, else one line from standard input after a
//! prompt. (No need to hide it: a TOTP code is worthless once used.)

use std::io::{self, BufRead, Write};

use super::error::MfaError;

/// The code as GetSessionToken wants it: six digits (spaces and dashes removed,
/// so `123 456` works).
pub fn normalize_code(input: &str) -> Result<String, MfaError> {
    let code: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code)
    } else {
        Err(MfaError::BadCode(
            "the MFA code must be the 6 digits your authenticator app shows, e.g. --code 123456"
                .into(),
        ))
    }
}

/// Where the prompt goes and the code comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptTo {
    /// Prompt on stderr, read standard input.
    Stderr,
    /// Prompt on and read from the controlling terminal, if there is one (else
    /// as `Stderr`): under credential_process the SDK captures stderr, and some
    /// SDKs (Rust, Go) give the process no standard input.
    Terminal,
}

/// Prompts for the code of `serial` and reads it.
/// `no_code_hint` says what to do when there is no input.
pub fn ask(serial: &str, to: PromptTo, no_code_hint: &str) -> Result<String, MfaError> {
    let prompt = format!("MFA code for {serial}: ");
    if to == PromptTo::Terminal
        && let Ok(tty) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
    {
        let mut out = &tty;
        if out
            .write_all(prompt.as_bytes())
            .and_then(|()| out.flush())
            .is_ok()
        {
            return read_code(&mut io::BufReader::new(&tty), no_code_hint);
        }
    }
    eprint!("{prompt}");
    let _ = io::stderr().flush();
    read_code(&mut io::stdin().lock(), no_code_hint)
}

/// Reads one line holding the code.
pub fn read_code(input: &mut impl BufRead, no_code_hint: &str) -> Result<String, MfaError> {
    let mut line = String::new();
    let read = input.read_line(&mut line);
    let no_code = |detail: String| MfaError::NoCode {
        detail,
        hint: no_code_hint.to_string(),
    };
    match read {
        Err(e) => Err(no_code(format!(" (reading standard input: {e})"))),
        Ok(0) => Err(no_code(" (standard input is closed)".into())),
        Ok(_) if line.trim().is_empty() => Err(no_code(String::new())),
        Ok(_) => normalize_code(&line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits() {
        assert_eq!(normalize_code("123456").unwrap(), "123456");
        assert_eq!(normalize_code(" 123 456\n").unwrap(), "123456");
        assert_eq!(normalize_code("123-456").unwrap(), "123456");
        for bad in ["12345", "1234567", "12345a", "", "１２３４５６"] {
            let e = normalize_code(bad).unwrap_err();
            assert!(e.to_string().contains("6 digits"), "{bad}: {e}");
        }
    }

    #[test]
    fn reads_one_line() {
        let mut input = io::Cursor::new("654321\nrest\n");
        assert_eq!(read_code(&mut input, "h").unwrap(), "654321");
        let mut input = io::Cursor::new("654321");
        assert_eq!(read_code(&mut input, "h").unwrap(), "654321");
        let e = read_code(&mut io::Cursor::new(""), "pass --code").unwrap_err();
        assert!(matches!(e, MfaError::NoCode { .. }));
        assert!(e.to_string().contains("closed") && e.to_string().contains("pass --code"));
        let e = read_code(&mut io::Cursor::new("\n"), "h").unwrap_err();
        assert_eq!(e.to_string(), "no MFA code given\n  hint: h");
        assert!(matches!(
            read_code(&mut io::Cursor::new("abc\n"), "h"),
            Err(MfaError::BadCode(_))
        ));
    }
}
