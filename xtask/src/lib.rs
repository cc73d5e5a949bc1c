//! Tidy checks, run as ordinary tests (`cargo test -p xtask`): the rules of
//! STYLE.md that a compiler does not enforce.
//!
//! - every module of every crate starts with a `//!` doc;
//! - the dependency rules hold (the domain is pure; web does not reach past
//!   the app layer into the store; the store knows nothing above it);
//! - both migration directories hold the same files;
//! - no test is hidden behind the `ignore` attribute.

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::{Path, PathBuf};

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
    }

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    fn crate_sources() -> Vec<PathBuf> {
        let mut files = Vec::new();
        for entry in fs::read_dir(root().join("crates")).expect("crates").flatten() {
            for sub in ["src", "tests"] {
                let dir = entry.path().join(sub);
                if dir.is_dir() {
                    rust_files(&dir, &mut files);
                }
            }
        }
        files
    }

    #[test]
    fn every_module_has_a_doc() {
        let missing: Vec<String> = crate_sources()
            .into_iter()
            .filter(|p| p.components().all(|c| c.as_os_str() != "tests"))
            .filter(|p| !fs::read_to_string(p).expect("read").trim_start().starts_with("//!"))
            .map(|p| p.display().to_string())
            .collect();
        assert!(missing.is_empty(), "modules without a //! doc:\n{}", missing.join("\n"));
    }

    fn dependencies(krate: &str) -> Vec<String> {
        let manifest =
            fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml")).expect("manifest");
        let mut deps = Vec::new();
        let mut in_deps = false;
        for line in manifest.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                in_deps = line == "[dependencies]";
                continue;
            }
            if in_deps && let Some((name, _)) = line.split_once(['=', '.']) {
                deps.push(name.trim().to_string());
            }
        }
        deps
    }

    #[test]
    fn dependency_rules_hold() {
        let forbidden: &[(&str, &[&str])] = &[
            (
                "redegov-domain",
                &["sqlx", "tokio", "axum", "redegov-store", "redegov-app", "redegov-web", "rand", "reqwest"],
            ),
            ("redegov-store", &["redegov-app", "redegov-web", "axum"]),
            ("redegov-app", &["redegov-web", "axum", "sqlx"]),
            ("redegov-web", &["redegov-store", "sqlx"]),
            // The prober only probes: no database, no HTTP, no redegov crate.
            (
                "redegov-probe",
                &[
                    "sqlx",
                    "axum",
                    "reqwest",
                    "hyper",
                    "redegov-domain",
                    "redegov-store",
                    "redegov-app",
                    "redegov-web",
                ],
            ),
        ];
        for (krate, banned) in forbidden {
            let deps = dependencies(krate);
            for b in *banned {
                assert!(!deps.iter().any(|d| d == b), "{krate} must not depend on {b}");
            }
        }
    }

    #[test]
    fn migrations_are_in_lock_step() {
        let names = |backend: &str| -> Vec<String> {
            let dir = root().join("crates/redegov-store/migrations").join(backend);
            let mut v: Vec<String> = fs::read_dir(dir)
                .expect("migrations")
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into())
                .collect();
            v.sort();
            v
        };
        assert_eq!(names("sqlite"), names("postgres"));
    }

    #[test]
    fn no_test_is_ignored() {
        let needle = ["#[", "ignore"].concat();
        let hidden: Vec<String> = crate_sources()
            .into_iter()
            .filter(|p| fs::read_to_string(p).expect("read").contains(&needle))
            .map(|p| p.display().to_string())
            .collect();
        assert!(hidden.is_empty(), "ignored tests in:\n{}", hidden.join("\n"));
    }
}
