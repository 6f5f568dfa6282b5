//! Generated-input testing of every parser that outside bytes reach (issue #15): weights files
//! (`.bpk`, `.safetensors`, `.pth`), the TF.js importer, masks, images, the link fragment and
//! the manifests the page fetches (`manifests.rs`).
//!
//! Each parser gets `FEATSIM_FUZZ_CASES` inputs (default 10,000; `make fuzz` runs 100,000),
//! drawn by proptest from a fixed seed (`FEATSIM_FUZZ_SEED` picks another). Random bytes alone
//! would stop at the first magic number, so most inputs start from small valid files built with
//! the crate's own writers (or the format's) and are then damaged structurally: fields set to
//! odd JSON values, length fields set to extremes, bit flips, splices, truncations. Every input
//! must be accepted or refused with a clear message: a panic, an empty or runaway message, an
//! accepted file that breaks the parser's own invariants, an output out of proportion to the
//! input or one slow input fails the test. proptest then shrinks the input, and the smallest one
//! is saved under `tests/fixtures/fuzz/<parser>/`, where
//! [`every_saved_fuzz_input_is_refused_or_accepted_cleanly`] replays it from then on.
//!
//! Inputs stay below [`MAX_INPUT`] bytes, so no parser is handed much; that a parser allocates
//! in proportion to what it is handed is checked where the output shows it (tensor bytes against
//! file bytes) and by the process's peak resident memory after each suite.

mod link;
mod manifests;
mod pictures;
mod tfjs;
mod weights;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use sha2::{Digest, Sha256};
use std::cell::Cell;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// No generated input is longer (the full-size ResNet-18 files of the `*_full` suites aside).
pub(crate) const MAX_INPUT: usize = 128 * 1024;
/// An error message longer than this is not a clear one.
const MAX_MESSAGE: usize = 4096;
/// One input taking longer than this is a failure: some field made the parser do far more work
/// than the input's size warrants. (The slowest seen, about 1 s on this 2-core machine, are
/// images of a few hundred bytes whose header claims tens of megapixels, within the limit.)
const SLOW: Duration = Duration::from_secs(10);
/// One still running after this long is taken for a hang: the watchdog saves it and ends the
/// process (a hung case never returns for proptest to shrink it).
const HANG: Duration = Duration::from_secs(60);
/// Peak resident memory of the whole test process allowed after a suite (the largest legitimate
/// use is an image at the 40-megapixel limit, well below).
const MAX_PEAK_RSS_MIB: u64 = 3 * 1024;

/// Inputs per parser: `FEATSIM_FUZZ_CASES` (underscores allowed), default 10,000.
pub(crate) fn cases() -> u32 {
    std::env::var("FEATSIM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(10_000)
}

/// The suites that build a real 23 MB ResNet-18 file per input run this many (a thousandth).
pub(crate) fn full_size_cases() -> u32 {
    (cases() / 1000).max(10)
}

/// What a parser made of one input.
pub(crate) enum Verdict {
    /// Accepted (and its result passed the parser's own checks).
    Accepted,
    /// Refused with a clear message.
    Refused,
}

/// A parser's check of one input: `Err` names a broken rule (a panic is caught separately).
pub(crate) type Check = fn(&[u8]) -> Result<Verdict, String>;

/// The parsers whose fixtures the replay test reads, by fixture folder.
const PARSERS: &[(&str, Check)] = &[
    ("bpk", weights::check_bpk),
    ("safetensors", weights::check_safetensors),
    ("pth", weights::check_pth),
    ("tfjs", tfjs::check),
    ("masks", pictures::check_mask),
    ("images", pictures::check_image),
    ("link", link::check),
    ("blocks", manifests::check_blocks),
    ("bundle", manifests::check_bundle),
    ("features", manifests::check_features),
];

/// A refusal, if its message is a clear one.
pub(crate) fn refused(err: impl std::fmt::Display) -> Result<Verdict, String> {
    let msg = err.to_string();
    if msg.trim().is_empty() {
        return Err("refused with an empty message".into());
    }
    if msg.len() > MAX_MESSAGE {
        let cut = (0..=200)
            .rev()
            .find(|&i| msg.is_char_boundary(i))
            .unwrap_or(0);
        return Err(format!(
            "refused with a {}-byte message: {}…",
            msg.len(),
            &msg[..cut]
        ));
    }
    Ok(Verdict::Refused)
}

fn fixture_dir(parser: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(parser)
}

/// Saves a failing input where the replay test finds it.
fn save_fixture(parser: &str, ext: &str, input: &[u8]) -> PathBuf {
    let dir = fixture_dir(parser);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{:08x}.{ext}", crc32fast::hash(input)));
    std::fs::write(&path, input).unwrap();
    path
}

/// The input being checked and since when; a thread watches it for hangs.
type Current = Arc<Mutex<Option<(Instant, Vec<u8>)>>>;

/// Watches `current` until `done`: an input running past [`HANG`] is saved and the process
/// ends with a message naming it.
fn watchdog(parser: &str, suite: &str, ext: &str, current: Current, done: Arc<AtomicBool>) {
    let (parser, suite, ext) = (parser.to_owned(), suite.to_owned(), ext.to_owned());
    std::thread::spawn(move || {
        while !done.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(500));
            let slot = current.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((since, input)) = slot.as_ref()
                && since.elapsed() > HANG
            {
                let path = save_fixture(&parser, &ext, input);
                eprintln!(
                    "{suite}: one {}-byte input has run for {:?}, saved as {}: the parser hangs \
                     on it (fix it and keep the file)",
                    input.len(),
                    since.elapsed(),
                    path.display()
                );
                std::process::exit(101);
            }
        }
    });
}

/// A scratch file for parsers that read from a path (one per thread, so suites never share).
pub(crate) fn scratch_file(ext: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-data/fuzz");
    std::fs::create_dir_all(&dir).unwrap();
    let thread = format!("{:?}", std::thread::current().id());
    let id: String = thread.chars().filter(char::is_ascii_digit).collect();
    dir.join(format!("input-{id}.{ext}"))
}

/// The process's peak resident memory (Linux), in MiB.
fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// A runner for `cases` inputs, its random numbers seeded by the suite's name and
/// `FEATSIM_FUZZ_SEED` (so a run can be repeated exactly, and another seed explores further).
fn runner(suite: &str, cases: u32) -> TestRunner {
    let base: u64 = std::env::var("FEATSIM_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15);
    let seed: [u8; 32] = Sha256::new()
        .chain_update(base.to_le_bytes())
        .chain_update(suite.as_bytes())
        .finalize()
        .into();
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed))
}

/// Checks a property of `cases` generated values (no bytes to keep: a failure names the
/// smallest value found).
pub(crate) fn property<S: Strategy>(
    suite: &str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), String>,
) {
    let start = Instant::now();
    let result = runner(suite, cases).run(&strategy, |v| test(v).map_err(TestCaseError::fail));
    match result {
        Ok(()) => println!(
            "fuzz {suite}: {cases} cases hold, {:.1} s",
            start.elapsed().as_secs_f64()
        ),
        Err(TestError::Fail(why, v)) => panic!("{suite}: {why}\nsmallest case: {v:?}"),
        Err(TestError::Abort(why)) => panic!("{suite}: proptest gave up: {why}"),
    }
}

/// Runs `cases` inputs from `strategy` through `check`. On a failure the shrunk input is saved
/// as `tests/fixtures/fuzz/<parser>/<crc32>.<ext>` and the test fails naming it.
pub(crate) fn fuzz(
    parser: &str,
    suite: &str,
    ext: &str,
    cases: u32,
    strategy: impl Strategy<Value = Vec<u8>>,
    check: Check,
) {
    let mut runner = runner(suite, cases);
    let (n_ok, n_refused, bytes) = (Cell::new(0u64), Cell::new(0u64), Cell::new(0u64));
    let slowest = Cell::new(Duration::ZERO);
    let current: Current = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    watchdog(parser, suite, ext, current.clone(), done.clone());
    let start = Instant::now();
    let result = runner.run(&strategy, |input| {
        let t = Instant::now();
        *current.lock().unwrap_or_else(|p| p.into_inner()) = Some((t, input.clone()));
        let verdict = check(&input);
        *current.lock().unwrap_or_else(|p| p.into_inner()) = None;
        let verdict = verdict.map_err(TestCaseError::fail)?;
        let took = t.elapsed();
        slowest.set(slowest.get().max(took));
        if took > SLOW {
            return Err(TestCaseError::fail(format!(
                "one {}-byte input took {took:.1?}",
                input.len()
            )));
        }
        match verdict {
            Verdict::Accepted => n_ok.set(n_ok.get() + 1),
            Verdict::Refused => n_refused.set(n_refused.get() + 1),
        }
        bytes.set(bytes.get() + input.len() as u64);
        Ok(())
    });
    let secs = start.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, input)) => {
            let path = save_fixture(parser, ext, &input);
            panic!(
                "{suite}: {why}\nthe smallest input found ({} bytes) is saved as {}: fix the \
                 parser and keep the file (the replay test runs it from now on)",
                input.len(),
                path.display()
            );
        }
        Err(TestError::Abort(why)) => panic!("{suite}: proptest gave up: {why}"),
    }
    let (a, r) = (n_ok.get(), n_refused.get());
    let peak = peak_rss_mib();
    println!(
        "fuzz {suite}: {} inputs ({:.1} KiB on average), {a} accepted, {r} refused, 0 panics, \
         {secs:.1} s ({:.0} inputs/s, slowest {:.1?}), peak RSS {} MiB",
        a + r,
        bytes.get() as f64 / (a + r).max(1) as f64 / 1024.0,
        (a + r) as f64 / secs.max(1e-9),
        slowest.get(),
        peak.map_or("?".into(), |p| p.to_string()),
    );
    assert_eq!(a + r, u64::from(cases), "{suite}: not every input ran");
    if let Some(p) = peak {
        assert!(p <= MAX_PEAK_RSS_MIB, "{suite}: peak RSS {p} MiB");
    }
}

/// Replays every input a fuzz run ever saved: each must now pass its parser's check.
#[test]
fn every_saved_fuzz_input_is_refused_or_accepted_cleanly() {
    let mut replayed = 0;
    for (parser, check) in PARSERS {
        let Ok(dir) = std::fs::read_dir(fixture_dir(parser)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = dir.map(|e| e.unwrap().path()).collect();
        files.sort();
        for path in files {
            let bytes = std::fs::read(&path).unwrap();
            match std::panic::catch_unwind(|| check(&bytes)) {
                Ok(Ok(_)) => replayed += 1,
                Ok(Err(why)) => panic!("{}: {why}", path.display()),
                Err(_) => panic!("{}: the parser panicked", path.display()),
            }
        }
    }
    println!("{replayed} saved fuzz inputs replayed");
    assert!(replayed > 0, "tests/fixtures/fuzz/ has no inputs");
}

// ------------------------------------------------------------------------------------------
// Byte-level damage, shared by every parser.
// ------------------------------------------------------------------------------------------

/// Where a mutation lands: within a header (the first 64 bytes, where most length and size
/// fields live) or anywhere.
#[derive(Debug, Clone)]
pub(crate) enum Pos {
    Head(u8),
    Any(Index),
}

impl Pos {
    /// A position in `0..=len` (where an insertion may go).
    fn place(&self, len: usize) -> usize {
        match self {
            Pos::Head(h) => usize::from(*h).min(len),
            Pos::Any(i) => i.index(len + 1),
        }
    }

    /// A position in `0..len`, `None` for an empty input.
    fn cell(&self, len: usize) -> Option<usize> {
        (len > 0).then(|| self.place(len).min(len - 1))
    }
}

/// Values that break length, size and count fields: zero, one, sign bits, all ones.
const INTERESTING: [u64; 24] = [
    0,
    1,
    2,
    3,
    16,
    64,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x7fff,
    0x8000,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_fffe,
    0xffff_ffff,
    0x1_0000_0000,
    1 << 40,
    1 << 53,
    0x7fff_ffff_ffff_ffff,
    0x8000_0000_0000_0000,
    u64::MAX,
];

/// One change to an input's bytes.
#[derive(Debug, Clone)]
pub(crate) enum Mutation {
    /// Flips one bit.
    Flip(Pos, u8),
    /// Overwrites one byte.
    Byte(Pos, u8),
    /// Writes an [`INTERESTING`] value 1, 2, 4 or 8 bytes wide, little- or big-endian.
    Interesting(Pos, u8, bool, Index),
    /// Cuts the input.
    Truncate(Pos),
    /// Removes up to this many bytes.
    Remove(Pos, u8),
    /// Inserts bytes.
    Insert(Pos, Vec<u8>),
    /// Repeats a run of bytes this many times.
    Repeat(Pos, u8, u8),
    /// Overwrites with bytes from one of the seeds.
    Splice(Pos, Index, Index, u16),
}

fn pos() -> impl Strategy<Value = Pos> {
    prop_oneof![
        1 => (0u8..64).prop_map(Pos::Head),
        2 => any::<Index>().prop_map(Pos::Any),
    ]
}

/// A byte mutation.
pub(crate) fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (pos(), 0u8..8).prop_map(|(p, b)| Mutation::Flip(p, b)),
        2 => (pos(), any::<u8>()).prop_map(|(p, v)| Mutation::Byte(p, v)),
        4 => (pos(), 0u8..4, any::<bool>(), any::<Index>())
            .prop_map(|(p, w, be, v)| Mutation::Interesting(p, w, be, v)),
        1 => pos().prop_map(Mutation::Truncate),
        2 => (pos(), 1u8..=64).prop_map(|(p, n)| Mutation::Remove(p, n)),
        2 => (pos(), prop::collection::vec(any::<u8>(), 1..32))
            .prop_map(|(p, b)| Mutation::Insert(p, b)),
        1 => (pos(), 1u8..=32, 1u8..=16).prop_map(|(p, n, k)| Mutation::Repeat(p, n, k)),
        2 => (pos(), any::<Index>(), any::<Index>(), 1u16..=512)
            .prop_map(|(p, s, f, n)| Mutation::Splice(p, s, f, n)),
    ]
}

/// Up to `max` mutations (at least one).
pub(crate) fn mutations(max: usize) -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(mutation(), 1..=max)
}

/// Applies `muts` in order; `donors` are what [`Mutation::Splice`] copies from.
pub(crate) fn apply(bytes: &mut Vec<u8>, muts: &[Mutation], donors: &[Vec<u8>]) {
    let limit = MAX_INPUT.max(bytes.len() + 4096);
    for m in muts {
        let len = bytes.len();
        match m {
            Mutation::Flip(p, bit) => {
                if let Some(i) = p.cell(len) {
                    bytes[i] ^= 1 << (bit % 8);
                }
            }
            Mutation::Byte(p, v) => {
                if let Some(i) = p.cell(len) {
                    bytes[i] = *v;
                }
            }
            Mutation::Interesting(p, width, big_endian, value) => {
                let v = INTERESTING[value.index(INTERESTING.len())];
                let width = 1usize << (width % 4);
                let le = v.to_le_bytes();
                let field: Vec<u8> = if *big_endian {
                    le[..width].iter().rev().copied().collect()
                } else {
                    le[..width].to_vec()
                };
                overwrite(bytes, p.place(len), &field);
            }
            Mutation::Truncate(p) => bytes.truncate(p.place(len)),
            Mutation::Remove(p, n) => {
                let at = p.place(len);
                let end = (at + usize::from(*n)).min(len);
                bytes.drain(at..end);
            }
            Mutation::Insert(p, b) => {
                let at = p.place(len);
                bytes.splice(at..at, b.iter().copied());
            }
            Mutation::Repeat(p, n, k) => {
                let at = p.place(len);
                let run = bytes[at..(at + usize::from(*n)).min(len)].to_vec();
                let copies = run.repeat(usize::from(*k));
                bytes.splice(at..at, copies);
            }
            Mutation::Splice(p, seed, from, n) => {
                if donors.is_empty() {
                    continue;
                }
                let donor = &donors[seed.index(donors.len())];
                if donor.is_empty() {
                    continue;
                }
                let start = from.index(donor.len());
                let end = (start + usize::from(*n)).min(donor.len());
                overwrite(bytes, p.place(len), &donor[start..end]);
            }
        }
        bytes.truncate(limit);
    }
}

/// Writes `field` at `at`, growing the input where it runs past the end.
fn overwrite(bytes: &mut Vec<u8>, at: usize, field: &[u8]) {
    let end = at + field.len();
    if bytes.len() < end {
        bytes.resize(end, 0);
    }
    bytes[at..end].copy_from_slice(field);
}

/// One of `seeds`, damaged by up to `max` mutations (splicing from the others).
pub(crate) fn mutated_seed(
    seeds: std::sync::Arc<Vec<Vec<u8>>>,
    max: usize,
) -> impl Strategy<Value = Vec<u8>> {
    (any::<Index>(), mutations(max)).prop_map(move |(i, muts)| {
        let mut b = seeds[i.index(seeds.len())].clone();
        apply(&mut b, &muts, &seeds);
        b
    })
}

/// Random bytes, half of them after one of `magics` (so they get past the first check).
pub(crate) fn random_bytes(magics: &'static [&'static [u8]]) -> impl Strategy<Value = Vec<u8>> {
    (
        any::<Index>(),
        any::<bool>(),
        prop::collection::vec(any::<u8>(), 0..1024),
    )
        .prop_map(move |(m, prefixed, tail)| {
            let mut b = if prefixed && !magics.is_empty() {
                magics[m.index(magics.len())].to_vec()
            } else {
                Vec::new()
            };
            b.extend(tail);
            b
        })
}

// ------------------------------------------------------------------------------------------
// JSON damage: the formats with a JSON part (safetensors headers, model.json, the spec).
// ------------------------------------------------------------------------------------------

/// Odd strings: empty, numeric (decimal extremes too), names of the wrong kind, paths out,
/// control characters.
const ODD_STRINGS: [&str; 27] = [
    "",
    " ",
    "0",
    "-1",
    "18446744073709551615",
    "layer3.18446744073709551615.bn2.weight",
    "layer2.4294967296.conv1.weight",
    "1e999",
    "NaN",
    "null",
    "float32",
    "float16",
    "int32",
    "F32",
    "F16",
    "BF16",
    "I64",
    "F8_E4M3",
    "conv1/kernel",
    "res2a_branch2a/kernel",
    "layer1.0.conv3.weight",
    "module.fc.weight",
    "../../x",
    "/etc/passwd",
    "a\\..\\b",
    "\u{0}\u{1b}[2J",
    "Käse 🐈",
];

/// A JSON value that does not belong where it is put.
#[derive(Debug, Clone)]
pub(crate) enum Odd {
    Null,
    Bool(bool),
    Int(Index, bool),
    Float(Index),
    Str(Index),
    Long(u16),
    EmptyArray,
    EmptyObject,
    Ints(Vec<Index>),
    Deep(u8),
}

impl Odd {
    fn value(&self) -> serde_json::Value {
        use serde_json::{Value, json};
        match self {
            Odd::Null => Value::Null,
            Odd::Bool(b) => json!(b),
            Odd::Int(i, negative) => {
                let v = INTERESTING[i.index(INTERESTING.len())];
                match i64::try_from(v) {
                    Ok(v) if *negative => json!(-v),
                    _ => json!(v),
                }
            }
            Odd::Float(i) => {
                let f = [0.5, -0.0, 1e-300, 1e300, 3.5, -2.5, 1.7e308][i.index(7)];
                json!(f)
            }
            Odd::Str(i) => json!(ODD_STRINGS[i.index(ODD_STRINGS.len())]),
            Odd::Long(n) => json!("x".repeat(usize::from(*n))),
            Odd::EmptyArray => json!([]),
            Odd::EmptyObject => json!({}),
            Odd::Ints(v) => Value::Array(
                v.iter()
                    .map(|i| json!(INTERESTING[i.index(INTERESTING.len())]))
                    .collect(),
            ),
            // Past serde_json's recursion limit (128) from 129 on.
            Odd::Deep(n) => (0..*n).fold(json!(1), |v, _| json!([v])),
        }
    }
}

fn odd() -> impl Strategy<Value = Odd> {
    prop_oneof![
        1 => Just(Odd::Null),
        1 => any::<bool>().prop_map(Odd::Bool),
        3 => (any::<Index>(), any::<bool>()).prop_map(|(i, n)| Odd::Int(i, n)),
        1 => any::<Index>().prop_map(Odd::Float),
        3 => any::<Index>().prop_map(Odd::Str),
        1 => (0u16..2000).prop_map(Odd::Long),
        1 => Just(Odd::EmptyArray),
        1 => Just(Odd::EmptyObject),
        2 => prop::collection::vec(any::<Index>(), 0..6).prop_map(Odd::Ints),
        1 => (100u8..=200).prop_map(Odd::Deep),
    ]
}

/// One change to a JSON document, at a node picked in pre-order (the root excluded).
#[derive(Debug, Clone)]
pub(crate) enum JsonEdit {
    /// Replaces the node.
    Replace(Index, Odd),
    /// Removes it from its array or object.
    Remove(Index),
    /// Repeats it (in an array) or copies it under an odd key (in an object).
    Duplicate(Index, Index),
    /// Gives an object member an odd key.
    Rename(Index, Index),
}

/// A JSON edit.
pub(crate) fn json_edit() -> impl Strategy<Value = JsonEdit> {
    prop_oneof![
        5 => (any::<Index>(), odd()).prop_map(|(i, o)| JsonEdit::Replace(i, o)),
        2 => any::<Index>().prop_map(JsonEdit::Remove),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(i, k)| JsonEdit::Duplicate(i, k)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(i, k)| JsonEdit::Rename(i, k)),
    ]
}

fn nodes_below(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Array(a) => a.iter().map(|c| 1 + nodes_below(c)).sum(),
        serde_json::Value::Object(o) => o.values().map(|c| 1 + nodes_below(c)).sum(),
        _ => 0,
    }
}

/// Applies `edits` in order.
pub(crate) fn edit_json(v: &mut serde_json::Value, edits: &[JsonEdit]) {
    for e in edits {
        let n = nodes_below(v);
        if n == 0 {
            continue;
        }
        let target = match e {
            JsonEdit::Replace(i, _)
            | JsonEdit::Remove(i)
            | JsonEdit::Duplicate(i, _)
            | JsonEdit::Rename(i, _) => i.index(n),
        };
        edit_at(v, target, &mut 0, e);
    }
}

/// Applies `e` to the `target`-th node below `v`; `seen` counts the nodes passed so far.
fn edit_at(v: &mut serde_json::Value, target: usize, seen: &mut usize, e: &JsonEdit) -> bool {
    use serde_json::Value;
    let key = |k: &Index| ODD_STRINGS[k.index(ODD_STRINGS.len())].to_owned();
    match v {
        Value::Array(items) => {
            for i in 0..items.len() {
                if *seen == target {
                    match e {
                        JsonEdit::Replace(_, o) => items[i] = o.value(),
                        JsonEdit::Remove(_) => {
                            items.remove(i);
                        }
                        JsonEdit::Duplicate(..) => items.insert(i, items[i].clone()),
                        JsonEdit::Rename(..) => {}
                    }
                    return true;
                }
                *seen += 1;
                if edit_at(&mut items[i], target, seen, e) {
                    return true;
                }
            }
        }
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                if *seen == target {
                    match e {
                        JsonEdit::Replace(_, o) => {
                            map.insert(k, o.value());
                        }
                        JsonEdit::Remove(_) => {
                            map.remove(&k);
                        }
                        JsonEdit::Duplicate(_, name) => {
                            let copy = map[&k].clone();
                            map.insert(key(name), copy);
                        }
                        JsonEdit::Rename(_, name) => {
                            if let Some(moved) = map.remove(&k) {
                                map.insert(key(name), moved);
                            }
                        }
                    }
                    return true;
                }
                *seen += 1;
                if edit_at(map.get_mut(&k).unwrap(), target, seen, e) {
                    return true;
                }
            }
        }
        _ => {}
    }
    false
}

#[test]
fn the_mutators_do_what_they_say() {
    let mut b = vec![0u8; 8];
    let at = |i| Pos::Head(i);
    apply(
        &mut b,
        &[
            Mutation::Flip(at(0), 1),
            Mutation::Byte(at(7), 9),
            Mutation::Insert(at(8), vec![5, 6]),
        ],
        &[],
    );
    assert_eq!(b, [2, 0, 0, 0, 0, 0, 0, 9, 5, 6]);
    apply(&mut b, &[Mutation::Truncate(at(3))], &[]);
    assert_eq!(b, [2, 0, 0]);
    let mut v = serde_json::json!({"a": [1, 2], "b": {"c": 3}});
    assert_eq!(nodes_below(&v), 5);
    // Pre-order below the root: a, a[0], a[1], b, b.c (the edit's own index is not read here).
    use proptest::strategy::ValueTree;
    let index = any::<Index>()
        .new_tree(&mut TestRunner::deterministic())
        .unwrap()
        .current();
    let any = || index;
    edit_at(&mut v, 2, &mut 0, &JsonEdit::Replace(any(), Odd::Null));
    assert_eq!(v, serde_json::json!({"a": [1, null], "b": {"c": 3}}));
    edit_at(&mut v, 3, &mut 0, &JsonEdit::Remove(any()));
    assert_eq!(v, serde_json::json!({"a": [1, null]}));
}
