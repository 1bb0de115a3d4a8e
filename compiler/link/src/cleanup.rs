//! Temporary files and folders that must not outlive an interrupted run.
//! Whoever creates one registers it with [`pending`] for as long as it
//! exists; a signal handler (the CLI's) calls [`remove_pending`] before the
//! process dies, so SIGINT or SIGTERM in the middle of a link leaves no
//! `.vitc-link-*` folder and no half-written temporary file behind.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A registered temporary path; dropping it unregisters the path (the
/// owner removes or renames it as usual).
pub struct Pending(PathBuf);

/// Registers `path` (a file or a folder) for removal on interruption.
pub fn pending(path: &Path) -> Pending {
    if let Ok(mut p) = PENDING.lock() {
        p.push(path.to_path_buf());
    }
    Pending(path.to_path_buf())
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Ok(mut p) = PENDING.lock()
            && let Some(i) = p.iter().rposition(|q| *q == self.0)
        {
            p.remove(i);
        }
    }
}

/// Removes every registered path (for a signal handler thread, just before
/// the process ends).
pub fn remove_pending() {
    let paths = match PENDING.lock() {
        Ok(p) => p.clone(),
        Err(e) => e.into_inner().clone(),
    };
    for path in paths {
        if path.is_dir() {
            // A tool still running in the folder (the C compiler) may add a
            // file while it is being removed; once it is gone, the tool can
            // add nothing more.
            for _ in 0..50 {
                if std::fs::remove_dir_all(&path).is_ok() || !path.exists() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        } else {
            let _ = std::fs::remove_file(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_paths_are_removed_and_dropped_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir(&a).unwrap();
        std::fs::write(a.join("f"), b"x").unwrap();
        std::fs::write(&b, b"y").unwrap();
        let _keep_a = pending(&a);
        drop(pending(&b));
        remove_pending();
        assert!(!a.exists(), "a registered folder survived");
        assert!(b.exists(), "an unregistered file was removed");
    }
}
