//! What the fuzz suites share: the case count, arbitrary JSON, and
//! structure-aware mutations of valid JSON documents.

#![allow(dead_code, unreachable_pub)]

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};
use serde_json::{Map, Value};

/// The number of cases for a suite: `FUZZ_CASES` when set, else `default`
/// (sized so that the suite takes a few seconds in a debug build).
pub fn cases(default: u32) -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(default)
}

/// A proptest configuration for `cases` cases with a fixed seed unless
/// `PROPTEST_RNG_SEED` is set (so CI is reproducible and a long run can
/// explore other inputs), and no failure persistence file.
pub fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_seed: seed(),
        failure_persistence: None,
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    }
}

/// The seed: `PROPTEST_RNG_SEED` when set, else a fixed one (proptest's
/// own default is a random seed per run).
pub fn seed() -> RngSeed {
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(0x5eed_f022);
    RngSeed::Fixed(seed)
}

/// Text that stresses parsers: empty, ASCII, non-ASCII, control
/// characters, expression markers, and long runs.
pub fn nasty_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "\\PC{0,24}",
        2 => "[a-zA-Z0-9@#{}()'\" ,._-]{0,24}",
        1 => Just(String::new()),
        1 => "[\u{0}-\u{1f}\u{7f}\u{fffd}\u{1F600}é]{1,8}",
        1 => (0_usize..20_000).prop_map(|length| "x".repeat(length)).no_shrink(),
        1 => (1_usize..300).prop_map(|depth| format!("{}1{}", "#{(".repeat(depth), ")".repeat(depth))),
    ]
}

/// Member names: mostly the ones the model uses, so that mutations reach
/// deep into the handlers, and some random ones.
pub fn member_name(known: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(known).prop_map(str::to_owned),
        1 => nasty_text(),
    ]
}

/// Arbitrary JSON, a few levels deep, with keys drawn from `known`.
pub fn json_value(known: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(
            |number| serde_json::Number::from_f64(number).map_or(Value::Null, Value::Number)
        ),
        nasty_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((member_name(known), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// One change to a JSON document, applied at the `path`th node (modulo the
/// number of nodes) so that every member and element can be reached.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Remove the node from its object or array.
    Remove(usize),
    /// Replace the node by another value.
    Replace(usize, Value),
    /// Add a member to the node when it is an object.
    Insert(usize, String, Value),
    /// Repeat the node's first element (or the node) many times in an array.
    Repeat(usize, usize),
    /// Replace a string node by a long string.
    Lengthen(usize, usize),
}

/// A size: mostly below `usual`, sometimes up to `huge` (huge inputs are
/// what the suites are after, but they are slow to build in a debug build).
fn large(usual: usize, huge: usize) -> impl Strategy<Value = usize> {
    prop_oneof![9 => 0..usual, 1 => usual..huge]
}

/// A mutation.
pub fn mutation(known: &'static [&'static str]) -> impl Strategy<Value = Mutation> {
    let index = any::<usize>();
    prop_oneof![
        2 => index.prop_map(Mutation::Remove),
        3 => (index, json_value(known)).prop_map(|(at, value)| Mutation::Replace(at, value)),
        1 => (index, member_name(known), json_value(known))
            .prop_map(|(at, key, value)| Mutation::Insert(at, key, value)),
        1 => (index, large(64, 12_000)).prop_map(|(at, count)| Mutation::Repeat(at, count)),
        1 => (index, large(1_024, 300_000)).prop_map(|(at, length)| Mutation::Lengthen(at, length)),
    ]
}

/// The most bytes a mutated document may take: large enough for 10,000
/// members and 5 MB values, small enough that no case takes seconds to
/// build.
const MAX_DOCUMENT_BYTES: usize = 8 * 1024 * 1024;

/// A change to the serialized bytes after the mutations.
#[derive(Debug, Clone)]
pub enum ByteDamage {
    /// Leave the bytes alone.
    None,
    /// Cut the document at a fraction (per mille) of its length.
    Truncate(u16),
    /// Overwrite one byte.
    Overwrite(usize, u8),
}

/// Byte damage: mostly none, so the JSON stays parseable.
pub fn byte_damage() -> impl Strategy<Value = ByteDamage> {
    prop_oneof![
        6 => Just(ByteDamage::None),
        1 => (0_u16..1000).prop_map(ByteDamage::Truncate),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| ByteDamage::Overwrite(at, byte)),
    ]
}

/// Applies `damage` to serialized bytes.
pub fn damage(mut bytes: Vec<u8>, damage: &ByteDamage) -> Vec<u8> {
    match *damage {
        ByteDamage::None => {}
        ByteDamage::Truncate(per_mille) => {
            let keep = bytes.len() * usize::from(per_mille) / 1000;
            bytes.truncate(keep);
        }
        ByteDamage::Overwrite(at, byte) => {
            if !bytes.is_empty() {
                let at = at % bytes.len();
                bytes[at] = byte;
            }
        }
    }
    bytes
}

/// Applies `mutations` to `document` in order.
pub fn mutate(mut document: Value, mutations: &[Mutation]) -> Value {
    for mutation in mutations {
        apply(&mut document, mutation);
    }
    document
}

fn node_count(value: &Value) -> usize {
    1 + match value {
        Value::Array(elements) => elements.iter().map(node_count).sum(),
        Value::Object(members) => members.values().map(node_count).sum(),
        _ => 0,
    }
}

/// The `index`th node in pre-order, and its parent slot (so it can be
/// removed).
fn nth<'a>(value: &'a mut Value, index: &mut usize) -> Option<&'a mut Value> {
    if *index == 0 {
        return Some(value);
    }
    *index -= 1;
    match value {
        Value::Array(elements) => elements.iter_mut().find_map(|element| nth(element, index)),
        Value::Object(members) => members.values_mut().find_map(|member| nth(member, index)),
        _ => None,
    }
}

/// Removes the `index`th node (not the root) from its parent.
fn remove_nth(value: &mut Value, index: &mut usize) -> bool {
    match value {
        Value::Array(elements) => {
            for position in 0..elements.len() {
                if *index == 0 {
                    elements.remove(position);
                    return true;
                }
                *index -= 1;
                if remove_nth(&mut elements[position], index) {
                    return true;
                }
            }
            false
        }
        Value::Object(members) => {
            let keys: Vec<String> = members.keys().cloned().collect();
            for key in keys {
                if *index == 0 {
                    members.remove(&key);
                    return true;
                }
                *index -= 1;
                if let Some(member) = members.get_mut(&key) {
                    if remove_nth(member, index) {
                        return true;
                    }
                }
            }
            false
        }
        _ => false,
    }
}

fn apply(document: &mut Value, mutation: &Mutation) {
    let count = node_count(document);
    match mutation {
        Mutation::Remove(at) => {
            // Node 0 is the root, which has no parent to be removed from.
            let mut index = at % count.saturating_sub(1).max(1);
            remove_nth(document, &mut index);
        }
        Mutation::Replace(at, value) => {
            if let Some(node) = nth(document, &mut (at % count)) {
                *node = value.clone();
            }
        }
        Mutation::Insert(at, key, value) => {
            if let Some(Value::Object(members)) = nth(document, &mut (at % count)) {
                members.insert(key.clone(), value.clone());
            }
        }
        Mutation::Repeat(at, times) => {
            if let Some(node) = nth(document, &mut (at % count)) {
                let element = match &*node {
                    Value::Array(elements) => elements.first().cloned().unwrap_or(Value::Null),
                    other => other.clone(),
                };
                // Repeating something already repeated or stretched would
                // build documents of gigabytes: keep each under ~8 MB.
                let size = element.to_string().len().max(1);
                let times = (*times).min(MAX_DOCUMENT_BYTES / size);
                *node = Value::Array(vec![element; times]);
            }
        }
        Mutation::Lengthen(at, length) => {
            let room = MAX_DOCUMENT_BYTES.saturating_sub(document.to_string().len());
            if let Some(Value::String(text)) = nth(document, &mut (at % count)) {
                let unit = text.chars().next().unwrap_or('é');
                *text = std::iter::repeat_n(unit, (*length).min(room / 4)).collect();
            }
        }
    }
}
