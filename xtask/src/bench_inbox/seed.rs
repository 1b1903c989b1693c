//! The inbox bench's data: conversations of the bench's organisation, their
//! messages, run records and ratings, made by a seeded generator (the same on
//! every run) and written straight into the database with SQL while no server
//! runs; the generator notes which conversations each measured query matches.

use std::ops::RangeInclusive;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, QueryBuilder, Row, Sqlite};

use super::Owner;
use crate::bench::grouped;
use crate::{processes, step};

const CONVERSATIONS: usize = 100_000;
/// The organisation's widgets and each one's share of the conversations, in %.
pub(super) const WIDGETS: [(&str, u64); 3] =
    [("Shop help", 60), ("Returns desk", 30), ("Careers", 10)];
/// Visitors of each widget; some have more than one conversation.
const VISITORS_PER_WIDGET: u64 = 70_000;
/// The latest messages spread evenly over this many days before the run.
pub(super) const DAYS: u64 = 90;
const DAY_MS: u64 = 86_400_000;
/// A turn is a visitor's message and the agent's answer, one run.
const TURNS: RangeInclusive<u64> = 1..=4;
const USER_WORDS: RangeInclusive<u64> = 4..=16;
const ANSWER_WORDS: RangeInclusive<u64> = 8..=30;
/// Runs that ended in an error, per mille; rated runs, in %, a third of them down.
const ERRORED_PER_MILLE: u64 = 30;
const RATED_PERCENT: u64 = 10;
/// Conversations written per transaction, and rows per `INSERT`.
pub(super) const COMMIT_EVERY: usize = 10_000;
const ROWS_PER_INSERT: usize = 500;

/// Words the messages are made of, drawn with probability 1 / rank (Zipf):
/// [`HEAD`], then made-up product names.
pub(super) const VOCABULARY: usize = 200_000;
#[rustfmt::skip]
pub(super) const HEAD: [&str; 120] = [
    "the", "to", "order", "i", "you", "my", "a", "and", "is", "it", "for", "your", "can", "we",
    "of", "in", "this", "please", "on", "be", "refund", "have", "with", "not", "help", "that",
    "me", "will", "do", "account", "shipping", "payment", "how", "what", "package", "delivery",
    "thanks", "get", "return", "if", "are", "an", "at", "card", "days", "was", "email", "item",
    "size", "price", "number", "address", "when", "change", "need", "password", "product", "store",
    "cancel", "subscription", "invoice", "tracking", "discount", "code", "plan", "login", "update",
    "support", "hello", "hi", "sorry", "today", "week", "received", "sent", "still", "yet",
    "wrong", "damaged", "exchange", "warranty", "available", "stock", "colour", "online", "app",
    "error", "checkout", "cart", "coupon", "billing", "charged", "twice", "bank", "transfer",
    "premium", "trial", "upgrade", "monthly", "receipt", "confirmation", "customer", "service",
    "link", "page", "settings", "phone", "message", "reply", "minutes", "hours", "courier",
    "parcel", "lost", "arrived", "late", "free", "fee", "tax", "pending",
];
/// The searched words, by their place in the vocabulary (0 = the most
/// frequent): one in most conversations, one in a few hundred, one in a
/// handful; and two words one message holds together.
pub(super) const COMMON: usize = 2;
pub(super) const MID: usize = 2_000;
pub(super) const RARE: usize = 100_000;
pub(super) const PAIR: (usize, usize) = (20, COMMON);

/// What a conversation matches, one bit a query kind.
pub(super) const HAS_COMMON: u8 = 1;
pub(super) const HAS_MID: u8 = 2;
pub(super) const HAS_RARE: u8 = 4;
pub(super) const HAS_PAIR: u8 = 8;
pub(super) const ERRORED: u8 = 16;
pub(super) const RATED_DOWN: u8 = 32;

/// One seeded conversation, as the checks need it.
pub(super) struct Seeded {
    pub(super) id: String,
    last_message_at: i64,
    pub(super) widget: usize,
    /// `HAS_*`, `ERRORED`, `RATED_DOWN`.
    pub(super) flags: u8,
}

/// What was written, and every conversation newest first (the inbox's order).
pub(super) struct Data {
    pub(super) conversations: Vec<Seeded>,
    pub(super) messages: u64,
    pub(super) runs: u64,
    pub(super) errored_runs: u64,
    pub(super) ratings: u64,
    pub(super) down_ratings: u64,
}

/// The rows of some conversations, written in one transaction.
#[derive(Default)]
struct Rows {
    conversations: Vec<(String, usize, String, String, i64, i64)>,
    messages: Vec<Message>,
    runs: Vec<Run>,
    ratings: Vec<(usize, String, String, String, &'static str, i64)>,
}

struct Message {
    id: String,
    widget: usize,
    visitor_id: String,
    thread_id: String,
    run_id: String,
    seq: i64,
    role: &'static str,
    content: String,
    created_at: i64,
}

struct Run {
    id: String,
    widget: usize,
    visitor_id: String,
    thread_id: String,
    run_id: String,
    input_chars: i64,
    output_chars: i64,
    first_event_ms: i64,
    duration_ms: i64,
    outcome: &'static str,
    started_at: i64,
}

pub(super) async fn seed(database_url: &str, owner: &mut Owner) -> Result<Data> {
    // Nothing else has the file open and a failed run starts again from a new
    // one: no write-ahead log and no syncing, and a cache that holds the
    // whole database, so that pages are not written out and read back in
    // the middle of a transaction.
    let options = SqliteConnectOptions::from_str(database_url)?
        .journal_mode(SqliteJournalMode::Memory)
        .synchronous(SqliteSynchronous::Off)
        .pragma("cache_size", "-1048576");
    let mut db = SqliteConnection::connect_with(&options).await?;
    for (widget_id, key_id) in &mut owner.widgets {
        let row = sqlx::query("SELECT id FROM api_keys WHERE widget_id = $1 AND kind = 'pub'")
            .bind(widget_id.as_str())
            .fetch_one(&mut db)
            .await
            .with_context(|| format!("the publishable key of widget {widget_id}"))?;
        *key_id = row.try_get("id")?;
    }
    let owner = &*owner;

    let vocabulary = Vocabulary::new();
    let mut generator = Generator {
        random: Random(0x5eed_1b0c),
        vocabulary: &vocabulary,
        now_ms: now_ms(),
    };
    let mut data = Data {
        conversations: Vec::with_capacity(CONVERSATIONS),
        messages: 0,
        runs: 0,
        errored_runs: 0,
        ratings: 0,
        down_ratings: 0,
    };
    for first in (0..CONVERSATIONS).step_by(COMMIT_EVERY) {
        if processes::interrupted() {
            bail!("interrupted");
        }
        let mut rows = Rows::default();
        for _ in first..(first + COMMIT_EVERY).min(CONVERSATIONS) {
            data.conversations.push(generator.conversation(&mut rows));
        }
        data.messages += rows.messages.len() as u64;
        data.runs += rows.runs.len() as u64;
        data.errored_runs += rows.runs.iter().filter(|run| run.outcome != "ok").count() as u64;
        data.ratings += rows.ratings.len() as u64;
        data.down_ratings += rows.ratings.iter().filter(|r| r.4 == "down").count() as u64;
        let mut tx = db.begin().await?;
        write(&mut tx, owner, &rows).await?;
        tx.commit().await?;
        step(format!(
            "seeded {} of {} conversations",
            grouped(data.conversations.len() as u64),
            grouped(CONVERSATIONS as u64)
        ));
    }
    // As the server keeps it.
    sqlx::query("PRAGMA journal_mode = WAL")
        .execute(&mut db)
        .await?;
    db.close().await?;
    data.conversations
        .sort_by(|a, b| (b.last_message_at, &b.id).cmp(&(a.last_message_at, &a.id)));
    Ok(data)
}

/// Inserts `rows` (inside a transaction); the server's triggers add the
/// messages to its full-text index.
async fn write(db: &mut SqliteConnection, owner: &Owner, rows: &Rows) -> Result<()> {
    let widget = |index: usize| owner.widgets[index].0.as_str();
    for part in rows.conversations.chunks(ROWS_PER_INSERT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO conversations (id, tenant_id, widget_id, visitor_id, thread_id, \
             started_at, last_message_at) ",
        );
        insert.push_values(part, |mut row, (id, w, visitor, thread, started, last)| {
            row.push_bind(id.as_str())
                .push_bind(owner.tenant_id.as_str())
                .push_bind(widget(*w))
                .push_bind(visitor.as_str())
                .push_bind(thread.as_str())
                .push_bind(*started)
                .push_bind(*last);
        });
        insert.build().execute(&mut *db).await?;
    }
    for part in rows.messages.chunks(ROWS_PER_INSERT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO thread_messages (id, widget_id, visitor_id, thread_id, run_id, seq, \
             role, content, created_at) ",
        );
        insert.push_values(part, |mut row, m| {
            row.push_bind(m.id.as_str())
                .push_bind(widget(m.widget))
                .push_bind(m.visitor_id.as_str())
                .push_bind(m.thread_id.as_str())
                .push_bind(m.run_id.as_str())
                .push_bind(m.seq)
                .push_bind(m.role)
                .push_bind(m.content.as_str())
                .push_bind(m.created_at);
        });
        insert.build().execute(&mut *db).await?;
    }
    for part in rows.runs.chunks(ROWS_PER_INSERT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO usage_runs (id, tenant_id, agent_id, widget_id, key_id, visitor_id, \
             thread_id, run_id, input_chars, output_chars, input_tokens, output_tokens, \
             first_event_ms, duration_ms, outcome, started_at, agent_version) ",
        );
        insert.push_values(part, |mut row, r| {
            row.push_bind(r.id.as_str())
                .push_bind(owner.tenant_id.as_str())
                .push_bind(owner.agent_id.as_str())
                .push_bind(widget(r.widget))
                .push_bind(owner.widgets[r.widget].1.as_str())
                .push_bind(r.visitor_id.as_str())
                .push_bind(r.thread_id.as_str())
                .push_bind(r.run_id.as_str())
                .push_bind(r.input_chars)
                .push_bind(r.output_chars)
                .push_bind(r.input_chars / 4 + 200)
                .push_bind(r.output_chars / 4)
                .push_bind(r.first_event_ms)
                .push_bind(r.duration_ms)
                .push_bind(r.outcome)
                .push_bind(r.started_at)
                .push_bind(1_i64);
        });
        insert.build().execute(&mut *db).await?;
    }
    for part in rows.ratings.chunks(ROWS_PER_INSERT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO run_ratings (widget_id, visitor_id, run_id, thread_id, rating, \
             rated_at) ",
        );
        insert.push_values(part, |mut row, (w, visitor, run, thread, rating, at)| {
            row.push_bind(widget(*w))
                .push_bind(visitor.as_str())
                .push_bind(run.as_str())
                .push_bind(thread.as_str())
                .push_bind(*rating)
                .push_bind(*at);
        });
        insert.build().execute(&mut *db).await?;
    }
    Ok(())
}

/// Makes conversations one after another from one seeded stream of numbers.
struct Generator<'a> {
    random: Random,
    vocabulary: &'a Vocabulary,
    now_ms: i64,
}

impl Generator<'_> {
    /// One conversation's rows into `rows`; returns what the checks need of it.
    fn conversation(&mut self, rows: &mut Rows) -> Seeded {
        let share = self.random.below(100);
        let mut widget = 0;
        let mut below = WIDGETS[0].1;
        while share >= below {
            widget += 1;
            below += WIDGETS[widget].1;
        }
        let visitor = widget as u64 * VISITORS_PER_WIDGET + self.random.below(VISITORS_PER_WIDGET);
        let visitor_id = format!("vis_{}", Random(visitor).base62(22));
        let thread_id = self.random.uuid();
        let id = format!("cnv_{}", self.random.base62(20));
        let last_message_at = self.now_ms - self.random.below(DAYS * DAY_MS) as i64;
        let turns = self.random.within(TURNS);
        let mut turn_at = vec![last_message_at];
        for _ in 1..turns {
            let gap = self.random.within(20_000..=300_000) as i64;
            turn_at.push(turn_at[turn_at.len() - 1] - gap);
        }
        turn_at.reverse();

        let mut flags = 0;
        for (turn, &at) in turn_at.iter().enumerate() {
            let ending = if self.random.below(2) == 0 { '?' } else { '.' };
            let (question, asked) = self.text(USER_WORDS, ending);
            let (answer, answered) = self.text(ANSWER_WORDS, '.');
            flags |= asked | answered;
            let outcome = if self.random.below(1000) < ERRORED_PER_MILLE {
                flags |= ERRORED;
                ["runtime_error", "runtime_timeout"][self.random.below(2) as usize]
            } else {
                "ok"
            };
            let run_id = self.random.uuid();
            let duration_ms = self.random.within(800..=8_000) as i64;
            rows.runs.push(Run {
                id: format!("run_{}", self.random.base62(20)),
                widget,
                visitor_id: visitor_id.clone(),
                thread_id: thread_id.clone(),
                run_id: run_id.clone(),
                input_chars: question.len() as i64,
                output_chars: answer.len() as i64,
                first_event_ms: self.random.within(200..=1_500) as i64,
                duration_ms,
                outcome,
                started_at: at,
            });
            for (seq, role, content) in [(1, "user", question), (2, "assistant", answer)] {
                rows.messages.push(Message {
                    id: format!("msg_{}", self.random.base62(20)),
                    widget,
                    visitor_id: visitor_id.clone(),
                    thread_id: thread_id.clone(),
                    run_id: run_id.clone(),
                    seq: 2 * turn as i64 + seq,
                    role,
                    content,
                    created_at: at,
                });
            }
            if self.random.below(100) < RATED_PERCENT {
                let rating = if self.random.below(3) == 0 {
                    flags |= RATED_DOWN;
                    "down"
                } else {
                    "up"
                };
                let rated_at = at + duration_ms + self.random.within(5_000..=60_000) as i64;
                let (visitor, thread) = (visitor_id.clone(), thread_id.clone());
                rows.ratings
                    .push((widget, visitor, run_id, thread, rating, rated_at));
            }
        }
        rows.conversations.push((
            id.clone(),
            widget,
            visitor_id,
            thread_id,
            turn_at[0],
            last_message_at,
        ));
        Seeded {
            id,
            last_message_at,
            widget,
            flags,
        }
    }

    /// A message of `words` words drawn from the vocabulary, and which of the
    /// searched words (`HAS_*`) it holds.
    fn text(&mut self, words: RangeInclusive<u64>, ending: char) -> (String, u8) {
        let count = self.random.within(words);
        let mut text = String::new();
        let mut flags = 0;
        let mut pair = (false, false);
        for place in 0..count {
            let index = self.vocabulary.draw(&mut self.random);
            flags |= match index {
                COMMON => HAS_COMMON,
                MID => HAS_MID,
                RARE => HAS_RARE,
                _ => 0,
            };
            pair.0 |= index == PAIR.0;
            pair.1 |= index == PAIR.1;
            let word = self.vocabulary.words[index].as_str();
            if place == 0 {
                text.push_str(&word[..1].to_ascii_uppercase());
                text.push_str(&word[1..]);
            } else {
                text.push(' ');
                text.push_str(word);
            }
        }
        text.push(ending);
        if pair.0 && pair.1 {
            flags |= HAS_PAIR;
        }
        (text, flags)
    }
}

/// The words and the cumulative Zipf weights to draw them by.
struct Vocabulary {
    words: Vec<String>,
    cumulative: Vec<f64>,
}

impl Vocabulary {
    fn new() -> Vocabulary {
        let mut sum = 0.0;
        Vocabulary {
            words: (0..VOCABULARY).map(word).collect(),
            cumulative: (1..=VOCABULARY)
                .map(|rank| {
                    sum += 1.0 / rank as f64;
                    sum
                })
                .collect(),
        }
    }

    /// A word's place, drawn with probability 1 / rank.
    fn draw(&self, random: &mut Random) -> usize {
        let target = random.unit() * self.cumulative[VOCABULARY - 1];
        self.cumulative
            .partition_point(|&sum| sum <= target)
            .min(VOCABULARY - 1)
    }
}

/// The vocabulary's word at `index`: one of [`HEAD`], else a made-up product
/// name of three consonant-vowel syllables and a final consonant ("kamirox"),
/// the names shuffled by a multiplication that permutes them.
pub(super) fn word(index: usize) -> String {
    if let Some(word) = HEAD.get(index) {
        return (*word).to_owned();
    }
    const CONSONANTS: &[u8] = b"bdfgklmnprstvz";
    const VOWELS: &[u8] = b"aeiou";
    const ENDINGS: &[u8] = b"nrxl";
    let names = (CONSONANTS.len() * VOWELS.len()).pow(3) * ENDINGS.len();
    let mut code = (index - HEAD.len()) * 1_000_003 % names;
    let mut name = String::new();
    for _ in 0..3 {
        name.push(char::from(CONSONANTS[code % CONSONANTS.len()]));
        code /= CONSONANTS.len();
        name.push(char::from(VOWELS[code % VOWELS.len()]));
        code /= VOWELS.len();
    }
    name.push(char::from(ENDINGS[code % ENDINGS.len()]));
    name
}

/// SplitMix64: a seeded stream of numbers, the same on every machine.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn within(&mut self, range: RangeInclusive<u64>) -> u64 {
        range.start() + self.below(range.end() - range.start() + 1)
    }

    /// In [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn base62(&mut self, length: usize) -> String {
        const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        (0..length)
            .map(|_| char::from(DIGITS[self.below(62) as usize]))
            .collect()
    }

    /// A version 4 UUID, as a browser names a thread and a runtime a run.
    fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            (b >> 48) & 0x3fff | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_of_the_vocabulary_is_one_word_and_no_other() {
        let vocabulary = Vocabulary::new();
        let distinct: std::collections::HashSet<&str> =
            vocabulary.words.iter().map(String::as_str).collect();
        assert_eq!(distinct.len(), VOCABULARY);
        assert!(
            vocabulary
                .words
                .iter()
                .all(|word| !word.is_empty() && word.chars().all(|c| c.is_ascii_lowercase()))
        );
    }

    #[test]
    fn words_are_drawn_more_often_the_higher_their_rank() {
        let vocabulary = Vocabulary::new();
        let mut random = Random(1);
        let mut counts = [0u32; 4];
        for _ in 0..100_000 {
            if let Some(count) = counts.get_mut(vocabulary.draw(&mut random)) {
                *count += 1;
            }
        }
        // 1 / rank of 100,000 draws over a harmonic sum of about 12.8.
        assert!((7_300..8_300).contains(&counts[0]), "{counts:?}");
        assert!(
            counts.windows(2).all(|pair| pair[0] > pair[1]),
            "{counts:?}"
        );
    }
}
