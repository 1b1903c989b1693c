//! Thread ids: random from `crypto.getRandomValues`, in the shape the server
//! takes (`thread-` and 32 hex digits).

use std::collections::HashSet;

use sitekit_widget::session::new_thread_id;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn thread_ids_are_128_random_bits_as_hex() {
    let ids: HashSet<String> = (0..200).map(|_| new_thread_id()).collect();
    assert_eq!(ids.len(), 200, "no two ids alike");
    for id in &ids {
        let hex = id.strip_prefix("thread-").expect("the thread- prefix");
        assert_eq!(hex.len(), 32, "{id}");
        assert!(
            hex.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{id}"
        );
    }
    // Every bit varies: no byte of the ids is fixed.
    for position in 0..32 {
        let digits: HashSet<u8> = ids.iter().map(|id| id.as_bytes()[7 + position]).collect();
        assert!(
            digits.len() > 4,
            "digit {position} hardly varies: {digits:?}"
        );
    }
}

#[wasm_bindgen_test]
fn thread_ids_do_not_come_from_math_random() {
    // A page (or a script on it) that makes Math.random predictable cannot
    // make thread ids predictable.
    let math = js_sys::Reflect::get(&js_sys::global(), &"Math".into()).unwrap();
    let random = js_sys::Reflect::get(&math, &"random".into()).unwrap();
    let constant = js_sys::Function::new_no_args("return 0.5");
    js_sys::Reflect::set(&math, &"random".into(), &constant).unwrap();
    let (first, second) = (new_thread_id(), new_thread_id());
    js_sys::Reflect::set(&math, &"random".into(), &random).unwrap();
    assert_ne!(first, second);
}
