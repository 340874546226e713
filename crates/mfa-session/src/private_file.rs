//! Reading and atomically replacing small private files (mode 0600).

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::error::MfaError;

const NOT_REGULAR_HINT: &str = "point AWS_SHARED_CREDENTIALS_FILE (or HOME) at a real file, or unset it to use ~/.aws/credentials";

/// The file a write to `path` really replaces: `path`, or the end of its symlink
/// chain, so that a symlinked credentials file (dotfile managers) stays a symlink.
pub fn write_target(path: &Path) -> Result<PathBuf, MfaError> {
    let target = match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => match fs::canonicalize(path) {
            Ok(p) => p,
            // A dangling link: create the file it points to.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let link =
                    fs::read_link(path).map_err(|e| MfaError::io(path, "reading link", e))?;
                path.parent().unwrap_or(Path::new(".")).join(link)
            }
            Err(e) => return Err(MfaError::io(path, "resolving link", e)),
        },
        _ => path.to_path_buf(),
    };
    match fs::metadata(&target) {
        Ok(meta) if !meta.is_file() => Err(MfaError::NotRegularFile {
            path: path.to_path_buf(),
            hint: NOT_REGULAR_HINT,
        }),
        _ => Ok(target),
    }
}

/// The file's text, or `None` when it does not exist.
pub fn read_optional(path: &Path) -> Result<Option<String>, MfaError> {
    match fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| MfaError::NotText {
                path: path.to_path_buf(),
            }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(MfaError::io(path, "reading", e)),
    }
}

/// Replaces `path` with `contents` atomically: a new 0600 file in the same
/// directory, synced, then renamed over the old one. Missing directories are
/// created with mode 0700. Refuses anything but a regular file (e.g. /dev/null).
pub fn write_atomic(path: &Path, contents: &str) -> Result<(), MfaError> {
    let target = write_target(path)?;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| MfaError::io(&dir, "creating directory", e))?;
    }
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let temp = dir.join(format!(
        ".{name}.mfa-session-{}-{nanos}.tmp",
        std::process::id()
    ));
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)?;
        // The mode above is filtered by the umask; make it exactly 0600.
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        fs::rename(&temp, &target)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&temp);
        return Err(MfaError::io(&target, "writing", e));
    }
    // Make the rename durable; not all file systems support syncing a directory.
    if let Ok(d) = fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fresh directory under the system temp dir, removed on drop.
    pub(crate) struct TempDir(pub PathBuf);

    impl TempDir {
        pub(crate) fn new(tag: &str) -> Self {
            use std::sync::atomic::{AtomicU32, Ordering};
            static N: AtomicU32 = AtomicU32::new(0);
            let dir = std::env::temp_dir().join(format!(
                "mfa-session-unit-{tag}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::SeqCst)
            ));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn writes_a_new_file_0600_creating_directories_0700() {
        let t = TempDir::new("new");
        let path = t.0.join(".aws/credentials");
        assert_eq!(read_optional(&path).unwrap(), None);
        write_atomic(&path, "[a]\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "[a]\n");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&t.0.join(".aws")), 0o700);
        assert_eq!(
            fs::read_dir(t.0.join(".aws")).unwrap().count(),
            1,
            "no temp file left"
        );
    }

    #[test]
    fn replaces_an_existing_file_and_tightens_its_mode() {
        let t = TempDir::new("replace");
        let path = t.0.join("credentials");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        write_atomic(&path, "new").unwrap();
        assert_eq!(read_optional(&path).unwrap().as_deref(), Some("new"));
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn follows_symlinks_and_keeps_them() {
        let t = TempDir::new("link");
        let real = t.0.join("dotfiles-credentials");
        fs::write(&real, "old").unwrap();
        let link = t.0.join("credentials");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, "new").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
    }

    #[test]
    fn refuses_dev_null_and_directories() {
        let err = write_atomic(Path::new("/dev/null"), "x").unwrap_err();
        assert!(matches!(err, MfaError::NotRegularFile { .. }), "{err}");
        assert!(err.to_string().contains("/dev/null is not a regular file"));
        let t = TempDir::new("dir");
        assert!(matches!(
            write_atomic(&t.0, "x"),
            Err(MfaError::NotRegularFile { .. })
        ));
    }

    #[test]
    fn refuses_non_utf8() {
        let t = TempDir::new("utf8");
        let path = t.0.join("credentials");
        fs::write(&path, b"[a]\n\xff\n").unwrap();
        assert!(matches!(
            read_optional(&path),
            Err(MfaError::NotText { .. })
        ));
    }
}
