//! Which MFA device to use: `--serial ARN`, or `auto` — the caller's only device,
//! or with several, the `mfa_serial` of the profile's config.

use std::str::FromStr;

/// The `--serial` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SerialArg {
    /// Find the caller's devices (`iam:GetUser` + `iam:ListMFADevices`).
    Auto,
    /// This serial number (the device ARN, or a hardware token's serial).
    Explicit(String),
}

impl SerialArg {
    /// How the cache key spells it.
    pub fn as_key(&self) -> &str {
        match self {
            SerialArg::Auto => "auto",
            SerialArg::Explicit(s) => s,
        }
    }
}

impl FromStr for SerialArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("auto") {
            return Ok(SerialArg::Auto);
        }
        validate_serial(s).map(|()| SerialArg::Explicit(s.to_string()))
    }
}

/// GetSessionToken's constraints on `SerialNumber`: 9–256 characters of `[\w+=/:,.@-]`.
pub fn validate_serial(s: &str) -> Result<(), String> {
    let hint = "give the device's ARN, e.g. arn:aws:iam::123456789012:mfa/jane-phone (IAM console → Security credentials → Multi-factor authentication), or `auto`";
    if !(9..=256).contains(&s.len()) {
        return Err(format!(
            "{s:?} is not an MFA serial number (9 to 256 characters); {hint}"
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_+=/:,.@-".contains(*c)))
    {
        return Err(format!(
            "{s:?} is not an MFA serial number (character {c:?} is not allowed); {hint}"
        ));
    }
    Ok(())
}

/// The device chosen by `auto`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub serial: String,
    /// Something the user should know (the config names a device that is not theirs).
    pub warning: Option<String>,
}

/// Why `auto` could not choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectError {
    /// The user has no MFA device.
    NoDevice,
    /// Several devices and no `mfa_serial` in the config.
    Several(Vec<String>),
    /// Several devices and the config's `mfa_serial` is none of them.
    ConfiguredNotFound {
        configured: String,
        devices: Vec<String>,
    },
}

/// Chooses among the caller's `devices`: the only one; with several, the
/// `configured` one (`mfa_serial` in the profile's config).
pub fn select_device(
    devices: &[String],
    configured: Option<&str>,
) -> Result<Selection, SelectError> {
    match devices {
        [] => Err(SelectError::NoDevice),
        [only] => Ok(Selection {
            serial: only.clone(),
            warning: configured.filter(|c| c != only).map(|c| {
                format!("mfa_serial in your config is {c}, which is not your MFA device; using your only device {only}")
            }),
        }),
        several => match configured {
            Some(c) if several.iter().any(|d| d == c) => Ok(Selection {
                serial: c.to_string(),
                warning: None,
            }),
            Some(c) => Err(SelectError::ConfiguredNotFound {
                configured: c.to_string(),
                devices: several.to_vec(),
            }),
            None => Err(SelectError::Several(several.to_vec())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHONE: &str = "arn:aws:iam::123456789012:mfa/jane-phone";
    const KEY: &str = "arn:aws:iam::123456789012:mfa/jane-yubikey";

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn serial_argument() {
        assert_eq!("auto".parse(), Ok(SerialArg::Auto));
        assert_eq!("AUTO".parse(), Ok(SerialArg::Auto));
        assert_eq!(PHONE.parse(), Ok(SerialArg::Explicit(PHONE.into())));
        assert_eq!(
            "GAHT12345678".parse(),
            Ok(SerialArg::Explicit("GAHT12345678".into()))
        );
        let e = "123456".parse::<SerialArg>().unwrap_err();
        assert!(e.contains("9 to 256") && e.contains("arn:aws:iam::"), "{e}");
        let e = "arn:aws:iam::1:mfa/jane phone"
            .parse::<SerialArg>()
            .unwrap_err();
        assert!(e.contains("' '"), "{e}");
        assert_eq!(SerialArg::Auto.as_key(), "auto");
        assert_eq!(SerialArg::Explicit(PHONE.into()).as_key(), PHONE);
    }

    #[test]
    fn one_device_is_used() {
        assert_eq!(
            select_device(&list(&[PHONE]), None),
            Ok(Selection {
                serial: PHONE.into(),
                warning: None
            })
        );
        assert_eq!(
            select_device(&list(&[PHONE]), Some(PHONE)).map(|s| s.warning),
            Ok(None)
        );
    }

    #[test]
    fn one_device_wins_over_a_stale_config_with_a_warning() {
        let s = select_device(&list(&[PHONE]), Some(KEY)).unwrap();
        assert_eq!(s.serial, PHONE);
        assert!(s.warning.unwrap().contains(KEY));
    }

    #[test]
    fn several_devices_need_the_config() {
        let both = list(&[PHONE, KEY]);
        assert_eq!(
            select_device(&both, None),
            Err(SelectError::Several(both.clone()))
        );
        assert_eq!(
            select_device(&both, Some(KEY)).map(|s| s.serial),
            Ok(KEY.into())
        );
        assert_eq!(
            select_device(&both, Some("arn:aws:iam::123456789012:mfa/old")),
            Err(SelectError::ConfiguredNotFound {
                configured: "arn:aws:iam::123456789012:mfa/old".into(),
                devices: both.clone()
            })
        );
    }

    #[test]
    fn no_device() {
        assert_eq!(select_device(&[], None), Err(SelectError::NoDevice));
        assert_eq!(select_device(&[], Some(PHONE)), Err(SelectError::NoDevice));
    }
}
