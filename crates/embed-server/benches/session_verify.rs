//! Session-token verification next to JWT HS256 verification (`jsonwebtoken`), in one
//! process, on the same claims and a secret of the same length, so the two numbers
//! differ only by token format and implementation. `cargo xtask bench` runs this with
//! `cargo bench` and reads the one JSON line it prints; the statistics are xtask's.
//!
//! Batches of the two alternate (and swap order every batch) so that frequency
//! scaling or a neighbour's build slows both alike rather than whichever ran second.
//! Without `--bench` (as `cargo test --benches` runs it) it only checks that both
//! tokens verify, with a handful of iterations.

use std::hint::black_box;
use std::time::Instant;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sitekit_embed_server::chat::session::{SessionClaims, SessionSigner};
use sitekit_embed_server::codec::random_base62;
use sitekit_embed_server::db::{new_id, now_unix};
use sitekit_embed_server::keys::scopes::Scopes;

const BATCHES: usize = 21;
const ITERATIONS_PER_BATCH: u32 = 50_000;

/// The only place this file constructs a signer, so a change to the constructor
/// (e.g. a previous secret accepted during rotation) is a one-line change here.
fn session_signer(secret: &[u8]) -> SessionSigner {
    SessionSigner::new(secret)
}

/// The session claims as JWT claims: the same fields and values, with the expiry
/// under JWT's registered name `exp` so `jsonwebtoken` checks it as we do.
#[derive(Serialize, Deserialize)]
struct JwtClaims {
    tn: String,
    wg: String,
    ky: String,
    kg: i64,
    vi: String,
    or: String,
    sc: String,
    exp: i64,
}

impl From<&SessionClaims> for JwtClaims {
    fn from(claims: &SessionClaims) -> Self {
        JwtClaims {
            tn: claims.tenant_id.clone(),
            wg: claims.widget_id.clone(),
            ky: claims.key_id.clone(),
            kg: claims.key_generation,
            vi: claims.visitor_id.clone(),
            or: claims.origin.clone(),
            sc: claims.scopes.to_string(),
            exp: claims.expires_at,
        }
    }
}

/// Claims shaped like the ones `POST /v1/sessions` mints.
fn realistic_claims() -> SessionClaims {
    SessionClaims {
        tenant_id: new_id("ten"),
        widget_id: new_id("wgt"),
        key_id: new_id("key"),
        key_generation: 1,
        visitor_id: random_base62(22),
        origin: "https://shop.example.com".into(),
        scopes: Scopes::from_stored("chat usage:write"),
        expires_at: now_unix() + 600,
    }
}

fn main() {
    let measuring = std::env::args().any(|arg| arg == "--bench");
    let (batches, iterations) = if measuring {
        (BATCHES, ITERATIONS_PER_BATCH)
    } else {
        (1, 10)
    };

    // The server's signing secret is 64 base62 characters; both get the same one.
    let secret = random_base62(64);
    let claims = realistic_claims();

    let signer = session_signer(secret.as_bytes());
    let session_token = signer.sign(&claims);

    let jwt_claims = JwtClaims::from(&claims);
    let jwt = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &jwt_claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("the JWT encodes");
    let jwt_key = DecodingKey::from_secret(secret.as_bytes());
    let mut validation = Validation::new(Algorithm::HS256);
    // Session tokens have no leeway: expired at `ex` means expired.
    validation.leeway = 0;

    let verify_session = || {
        signer
            .verify(black_box(&session_token), now_unix())
            .is_ok_and(|verified| verified.key_generation == claims.key_generation)
    };
    let verify_jwt = || {
        jsonwebtoken::decode::<JwtClaims>(black_box(&jwt), &jwt_key, &validation)
            .is_ok_and(|verified| verified.claims.kg == claims.key_generation)
    };
    // Warm caches and branch predictors, and fail before timing anything that fails.
    batch_ns_per_op("session token", iterations, verify_session);
    batch_ns_per_op("JWT", iterations, verify_jwt);

    let mut session_ns = Vec::with_capacity(batches);
    let mut jwt_ns = Vec::with_capacity(batches);
    for batch in 0..batches {
        if batch % 2 == 0 {
            session_ns.push(batch_ns_per_op("session token", iterations, verify_session));
            jwt_ns.push(batch_ns_per_op("JWT", iterations, verify_jwt));
        } else {
            jwt_ns.push(batch_ns_per_op("JWT", iterations, verify_jwt));
            session_ns.push(batch_ns_per_op("session token", iterations, verify_session));
        }
    }

    let line = serde_json::json!({
        "bench": "session_verify",
        "iterationsPerBatch": iterations,
        "secretBytes": secret.len(),
        "sessionTokenBytes": session_token.len(),
        "jwtBytes": jwt.len(),
        "sessionNsPerOp": session_ns,
        "jwtNsPerOp": jwt_ns,
    });
    println!("{line}");
}

/// Runs `verify` `iterations` times and returns the mean time of one, in ns.
/// Panics if any verification fails: a failing check is fast and would flatter.
fn batch_ns_per_op(what: &str, iterations: u32, verify: impl Fn() -> bool) -> f64 {
    let mut failures = 0u32;
    let start = Instant::now();
    for _ in 0..iterations {
        failures += u32::from(!black_box(verify()));
    }
    let elapsed = start.elapsed();
    assert_eq!(
        failures, 0,
        "{what}: {failures} of {iterations} failed to verify"
    );
    elapsed.as_nanos() as f64 / f64::from(iterations)
}
