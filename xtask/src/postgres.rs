//! PostgreSQL for runs that need a server: a fresh database in the server
//! `DATABASE_URL_PG` names, or in a private server of our own started from the
//! system's binaries (`cargo xtask cluster`); and `psql`, which creates and
//! drops those databases (the ingestion bench's too).

use std::fs::{self, OpenOptions};
use std::io::Write;
#[cfg(unix)]
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

use crate::processes::Services;
use crate::{cmd, langflow, step};

/// Where Debian's `postgresql` package puts each version's binaries.
const SYSTEM_BINARIES: &str = "/usr/lib/postgresql";
/// The superuser of a private server, and the system user that runs it when
/// we are root (PostgreSQL refuses to run as root).
const SUPERUSER: &str = "postgres";

/// Where a run's database lives, decided before anything is built, so that a
/// machine without PostgreSQL fails at once.
pub enum Source {
    /// The server `DATABASE_URL_PG` names; its role may create databases.
    Given(String),
    /// A private server from the binaries in this directory.
    Private(PathBuf),
}

impl Source {
    /// `DATABASE_URL_PG` if set, else the newest PostgreSQL installed.
    pub fn choose() -> Result<Source> {
        if let Ok(url) = std::env::var("DATABASE_URL_PG") {
            return Ok(Source::Given(url));
        }
        newest_binaries(Path::new(SYSTEM_BINARIES))
            .map(Source::Private)
            .ok_or_else(|| {
                anyhow!(
                    "no PostgreSQL under {SYSTEM_BINARIES}: install it (Debian: apt-get install \
                     postgresql) or set DATABASE_URL_PG to a server whose role may create databases"
                )
            })
    }
}

/// A private server's place: its data directory (made anew on every run), a
/// free port, and its log.
pub struct Private<'a> {
    pub dir: &'a Path,
    pub port: u16,
    pub log: &'a Path,
}

/// A fresh, empty database `name` (an earlier one of that name is dropped):
/// in the given server, or in a private one started as one of `services`.
/// Returns its URL, with the password if the server has one.
pub fn fresh_database(
    source: &Source,
    services: &mut Services,
    private: &Private,
    name: &str,
) -> Result<String> {
    let admin_url = match source {
        Source::Given(url) => {
            step(format!(
                "PostgreSQL: database {name} in DATABASE_URL_PG's server ({})",
                without_password(url)
            ));
            url.clone()
        }
        Source::Private(bin) => start_private(services, bin, private)?,
    };
    let url = with_database(&admin_url, name)?;
    psql(
        &admin_url,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    )?;
    psql(&admin_url, &format!("CREATE DATABASE {name}"))?;
    Ok(url)
}

/// `initdb` into an empty `dir`, then `postgres` on 127.0.0.1 only, in the
/// foreground so that it stops with the other services. Its superuser has a
/// password of this run's own: other users of the machine can reach the port.
/// Returns the superuser's URL.
fn start_private(services: &mut Services, bin: &Path, private: &Private) -> Result<String> {
    let Private { dir, port, log } = *private;
    let as_root = running_as_root();
    step(format!(
        "starting PostgreSQL: a private server from {} in {} on 127.0.0.1:{port}{} (log: {})",
        bin.display(),
        dir.display(),
        if as_root {
            ", run as the postgres user"
        } else {
            ""
        },
        log.display()
    ));
    if as_root && cmd::probe("id", &["-u", SUPERUSER]).is_none() {
        bail!(
            "PostgreSQL refuses to run as root, and there is no `{SUPERUSER}` user to run it as; \
             install Debian's postgresql package or set DATABASE_URL_PG"
        );
    }
    if dir.exists() {
        fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let password = langflow::random_key()?;
    // Beside the data directory: initdb wants that one empty.
    let password_file = dir.with_extension("password");
    write_private(&password_file, &password)?;
    if as_root {
        for path in [dir, password_file.as_path()] {
            cmd::stdout(Command::new("chown").args([SUPERUSER, "--"]).arg(path))?;
        }
        let reachable = as_owner(Path::new("test"), true)
            .arg("-w")
            .arg(dir)
            .status()
            .is_ok_and(|status| status.success());
        if !reachable {
            bail!(
                "the `{SUPERUSER}` user cannot write {} (a parent directory is closed to it): set \
                 DATABASE_URL_PG instead",
                dir.display()
            );
        }
    }
    let initdb = as_owner(&bin.join("initdb"), as_root)
        .arg("-D")
        .arg(dir)
        .args([
            "-U",
            SUPERUSER,
            "--auth-local=peer",
            "--auth-host=scram-sha-256",
        ])
        .arg(format!("--pwfile={}", password_file.display()))
        // A throwaway: no fsync, no locale of the machine's to depend on.
        .args(["--no-sync", "--no-locale", "--encoding=UTF8"])
        .output()
        .context("running initdb")?;
    let _ = fs::remove_file(&password_file);
    if !initdb.status.success() {
        bail!(
            "initdb failed ({}):\n{}",
            initdb.status,
            String::from_utf8_lossy(&initdb.stderr).trim_end()
        );
    }

    let mut server = as_owner(&bin.join("postgres"), as_root);
    server
        .arg("-D")
        .arg(dir)
        .args(["-p", &port.to_string()])
        // TCP on loopback only; no Unix socket, whose default directory may
        // belong to the system's own server.
        .args(["-c", "listen_addresses=127.0.0.1"])
        .args(["-c", "unix_socket_directories="]);
    services.start("postgres", server, log)?;
    let ready = bin.join("pg_isready");
    let port_text = port.to_string();
    services.wait_until("PostgreSQL", Duration::from_secs(30), || {
        cmd::probe(
            &ready.to_string_lossy(),
            &["-q", "-h", "127.0.0.1", "-p", &port_text],
        )
        .is_some()
    })?;
    Ok(format!(
        "postgres://{SUPERUSER}:{password}@127.0.0.1:{port}/postgres"
    ))
}

/// `program`, run as the `postgres` user when we are root (from `/`, which
/// that user can read, unlike perhaps our own directory), else as ourselves.
fn as_owner(program: &Path, as_root: bool) -> Command {
    if !as_root {
        return Command::new(program);
    }
    let mut command = Command::new("runuser");
    command
        .args(["-u", SUPERUSER, "--"])
        .arg(program)
        .current_dir("/");
    command
}

fn running_as_root() -> bool {
    cmd::probe("id", &["-u"]).as_deref() == Some("0")
}

/// Writes `text` to a new file only its owner may read: a password, or a URL
/// that holds one.
pub fn write_private(path: &Path, text: &str) -> Result<()> {
    let _ = fs::remove_file(path);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    options
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .with_context(|| format!("writing {}", path.display()))
}

/// The `bin` directory of the newest version under `root` that has `initdb`.
fn newest_binaries(root: &Path) -> Option<PathBuf> {
    let versions = fs::read_dir(root)
        .ok()?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|version| root.join(version).join("bin/initdb").is_file());
    newest_version(versions).map(|version| root.join(version).join("bin"))
}

/// The newest of version names such as `9.6`, `15` and `17`, compared as
/// numbers part by part; names that are no version are ignored.
fn newest_version(names: impl IntoIterator<Item = String>) -> Option<String> {
    names
        .into_iter()
        .filter_map(|name| {
            let parts = name
                .split('.')
                .map(|part| part.parse::<u32>().ok())
                .collect::<Option<Vec<_>>>()?;
            Some((parts, name))
        })
        .max()
        .map(|(_, name)| name)
}

/// Runs one SQL statement with `psql` on the server and database `url` names.
/// A password in the URL goes to psql in its environment, not its arguments,
/// which other users of the machine can see.
pub fn psql(url: &str, sql: &str) -> Result<()> {
    let mut command = Command::new("psql");
    command
        .arg(without_password(url))
        .args(["-v", "ON_ERROR_STOP=1", "-qc", sql])
        // `DROP … IF EXISTS` of nothing is a NOTICE, not news.
        .env("PGOPTIONS", "-c client_min_messages=warning");
    if let Some(password) = password(url) {
        command.env("PGPASSWORD", password);
    }
    cmd::stdout(&mut command).map(drop).with_context(|| {
        format!("psql: {sql} (psql must be installed: Debian's postgresql-client)")
    })
}

/// `postgres://user@host:5432/postgres?sslmode=disable` with its database
/// replaced by `name`, parameters kept.
pub fn with_database(url: &str, name: &str) -> Result<String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| anyhow!("DATABASE_URL_PG is not a URL"))?;
    let (location, query) = match rest.split_once('?') {
        Some((location, query)) => (location, Some(query)),
        None => (rest, None),
    };
    let authority = location.split('/').next().unwrap_or(location);
    let mut out = format!("{scheme}://{authority}/{name}");
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    Ok(out)
}

/// `url` without the password of its `user:password@`, fit to show.
pub fn without_password(url: &str) -> String {
    match credentials(url) {
        Some(parts) => format!("{}{}{}", parts.before, parts.user, parts.after),
        None => url.to_owned(),
    }
}

/// The password of `url`'s `user:password@`, percent-decoded, if it has one.
fn password(url: &str) -> Option<String> {
    credentials(url).map(|parts| percent_decode(parts.password))
}

/// A URL with a user and a password: `{before}{user}:{password}{after}`,
/// `after` starting at the `@`.
struct Credentials<'a> {
    before: &'a str,
    user: &'a str,
    password: &'a str,
    after: &'a str,
}

fn credentials(url: &str) -> Option<Credentials<'_>> {
    let start = url.find("://")? + 3;
    let authority_end = url[start..]
        .find(['/', '?'])
        .map_or(url.len(), |end| start + end);
    let at = start + url[start..authority_end].rfind('@')?;
    let (user, password) = url[start..at].split_once(':')?;
    Some(Credentials {
        before: &url[..start],
        user,
        password,
        after: &url[at..],
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = bytes
            .get(at + 1..at + 3)
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (bytes[at], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                at += 3;
            }
            (byte, _) => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_the_database_of_a_url() {
        assert_eq!(
            with_database("postgres://u:p@db:5432/postgres?sslmode=disable", "b").unwrap(),
            "postgres://u:p@db:5432/b?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://db", "b").unwrap(),
            "postgres://db/b"
        );
    }

    #[test]
    fn shows_a_url_without_its_password_and_hands_the_password_over_decoded() {
        let url = "postgres://sitekit:p%40ss:w@127.0.0.1:5432/sitekit_cluster?sslmode=disable";
        assert_eq!(
            without_password(url),
            "postgres://sitekit@127.0.0.1:5432/sitekit_cluster?sslmode=disable"
        );
        assert_eq!(password(url).as_deref(), Some("p@ss:w"));
        for plain in [
            "postgres://sitekit@db/x",
            "postgres://db:5432/x",
            "postgres://db/x?user=a@b",
        ] {
            assert_eq!(without_password(plain), plain);
            assert_eq!(password(plain), None);
        }
    }

    #[test]
    fn the_newest_version_is_compared_as_numbers() {
        let names = ["9.6", "15", "17", "16", "README"].map(String::from);
        assert_eq!(newest_version(names).as_deref(), Some("17"));
        assert_eq!(newest_version(Vec::new()), None);
        assert_eq!(newest_binaries(Path::new("/nonexistent/postgresql")), None);
    }
}
