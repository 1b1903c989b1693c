//! A tiny static file server (std::net, one thread per connection) for the demo
//! host site. HTML pages get the widget snippet injected at a marker comment.

use std::fs;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};

/// Where a page wants the widget's `<script>` snippet.
pub const SNIPPET_MARKER: &str = "<!-- SITEKIT_SNIPPET -->";

struct Site {
    root: PathBuf,
    snippet: String,
    /// URL path prefixes (`/custom-ui/`) served from other folders.
    mounts: Vec<(String, PathBuf)>,
}

/// Serves `root` on `addr` from a background thread, and each mount's folder
/// under its path prefix; returns the bound address.
pub fn spawn(
    root: &Path,
    addr: &str,
    snippet: &str,
    mounts: &[(&str, PathBuf)],
) -> Result<SocketAddr> {
    let listener = TcpListener::bind(addr).with_context(|| format!("binding {addr}"))?;
    let bound = listener.local_addr()?;
    let mut mounts: Vec<(String, PathBuf)> = mounts
        .iter()
        .map(|(prefix, dir)| (prefix.to_string(), dir.clone()))
        .collect();
    // The longest prefix wins: `/custom-ui/node_modules/…` before `/custom-ui/`.
    mounts.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
    let site = Arc::new(Site {
        root: root.to_owned(),
        snippet: snippet.to_owned(),
        mounts,
    });
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let site = Arc::clone(&site);
            thread::spawn(move || site.handle(stream));
        }
    });
    Ok(bound)
}

impl Site {
    fn handle(&self, mut stream: TcpStream) -> io::Result<()> {
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let head = read_head(&mut stream)?;
        let mut words = head.split_whitespace();
        let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or("/"));
        let (status, content_type, body) = match method {
            "GET" | "HEAD" => self.respond(target),
            _ => (
                405,
                "text/plain; charset=utf-8",
                b"method not allowed\n".to_vec(),
            ),
        };
        let reason = match status {
            200 => "OK",
            404 => "Not Found",
            _ => "Method Not Allowed",
        };
        let header = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
             Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(header.as_bytes())?;
        if method != "HEAD" {
            stream.write_all(&body)?;
        }
        stream.flush()
    }

    fn respond(&self, target: &str) -> (u16, &'static str, Vec<u8>) {
        let (root, target) = self
            .mounts
            .iter()
            .find_map(|(prefix, dir)| {
                let rest = target.strip_prefix(prefix.as_str())?;
                Some((dir.as_path(), rest))
            })
            .unwrap_or((self.root.as_path(), target));
        let file = resolve(root, target).and_then(|path| {
            let bytes = fs::read(&path).ok()?;
            Some((path, bytes))
        });
        let Some((path, bytes)) = file else {
            return (404, "text/plain; charset=utf-8", b"not found\n".to_vec());
        };
        let content_type = content_type(&path);
        if content_type.starts_with("text/html") {
            let page = String::from_utf8_lossy(&bytes).replace(SNIPPET_MARKER, &self.snippet);
            return (200, content_type, page.into_bytes());
        }
        (200, content_type, bytes)
    }
}

/// Reads the request line and headers (we ignore any body).
fn read_head(stream: &mut TcpStream) -> io::Result<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") && head.len() < 16 * 1024 {
        let read = stream.read(&mut buf)?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buf[..read]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// The file under `root` that a request target names, never outside `root`;
/// directories mean their `index.html`.
fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let mut file = root.to_path_buf();
    for segment in percent_decode(path)?.split('/') {
        match segment {
            "" | "." => {}
            ".." => return None,
            _ if segment.contains(['\\', '\0']) => return None,
            _ => file.push(segment),
        }
    }
    if file.is_dir() {
        file.push("index.html");
    }
    file.is_file().then_some(file)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = std::str::from_utf8(bytes.get(at + 1..at + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|ext| ext.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "wasm" => "application/wasm",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http;

    /// A site of its own for the test `name`: tests run at once, and one
    /// rewriting a file another reads would make either fail by chance.
    fn site_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("xtask-static-site-{}-{name}", std::process::id()));
        fs::create_dir_all(dir.join("css")).unwrap();
        fs::write(
            dir.join("index.html"),
            format!("<body>{SNIPPET_MARKER}</body>"),
        )
        .unwrap();
        fs::write(dir.join("css/site.css"), "body{}").unwrap();
        dir
    }

    #[test]
    fn serves_pages_with_the_snippet_and_files_as_they_are() {
        let dir = site_dir("serves_pages_with_the_snippet_and_files_as_they_are");
        let addr = spawn(&dir, "127.0.0.1:0", "<script src=x></script>", &[]).unwrap();
        let page = http::get(&format!("http://{addr}/"), &[]).unwrap();
        assert_eq!(page.status, 200);
        assert_eq!(page.body, "<body><script src=x></script></body>");
        let css = http::get(&format!("http://{addr}/css/site.css?v=1"), &[]).unwrap();
        assert_eq!((css.status, css.body.as_str()), (200, "body{}"));
        let missing = http::get(&format!("http://{addr}/nope.html"), &[]).unwrap();
        assert_eq!(missing.status, 404);
    }

    #[test]
    fn serves_a_mounted_folder_under_its_prefix_the_longest_prefix_first() {
        let dir = site_dir("serves_a_mounted_folder_under_its_prefix_the_longest_prefix_first");
        let example = dir.join("example");
        fs::create_dir_all(example.join("pkg")).unwrap();
        fs::write(example.join("app.js"), "app").unwrap();
        let package = dir.join("package");
        fs::create_dir_all(&package).unwrap();
        fs::write(package.join("index.js"), "package").unwrap();
        let mounts = [("/ui/", example), ("/ui/pkg/", package)];
        let addr = spawn(&dir, "127.0.0.1:0", "", &mounts).unwrap();
        let get = |path: &str| http::get(&format!("http://{addr}{path}"), &[]).unwrap();
        assert_eq!(get("/ui/app.js").body, "app");
        assert_eq!(get("/ui/pkg/index.js").body, "package");
        assert_eq!(
            get("/ui/../css/site.css").status,
            404,
            "no way out of a mount"
        );
        assert_eq!(get("/css/site.css").body, "body{}", "the root still serves");
    }

    #[test]
    fn never_leaves_the_site_root() {
        let dir = site_dir("never_leaves_the_site_root");
        assert_eq!(resolve(&dir, "/../../etc/passwd"), None);
        assert_eq!(resolve(&dir, "/%2e%2e/%2e%2e/etc/passwd"), None);
        assert_eq!(resolve(&dir, "/css/%2E%2E/index.html"), None);
        assert_eq!(
            resolve(&dir, "/css/site.css"),
            Some(dir.join("css/site.css"))
        );
    }
}
