//! One canonical spelling of a text, with a map back to the original bytes.
//!
//! Detectors match words, and an attacker writes the same words in many ways: `iGnOrE`,
//! `іgnоrе` (Cyrillic), `i\u{200b}g\u{200b}n…` (zero-width spaces), `i g n o r e`, `ig<b>no</b>re`,
//! `ignore%20previous`, `\u0069gnore`, `&#105;gnore`. [`Normalised::new`] folds all of these into
//! plain lowercase ASCII-ish text in one linear pass, and remembers for every output byte which
//! original bytes it came from, so a finding's span points into the text the caller holds.
//!
//! What it does, in order, per character:
//! - decodes literal escapes (`\n`, `\"`, `\uXXXX`, `\xHH`: tool outputs are often JSON inside
//!   JSON), HTML entities (`&lt;`, `&#105;`), percent-encoding (`%20`, `%E2%80%8B`) and Unicode
//!   tag characters (U+E0020–U+E007E, "ASCII smuggling");
//! - drops inline formatting tags (`<b>`, `<span …>`), markdown emphasis (`*`, `` ` ``),
//!   zero-width and other invisible characters, combining marks and control characters;
//! - maps confusables (Cyrillic, Greek, Armenian, small capitals, fullwidth, mathematical and
//!   enclosed letters, accented Latin) to ASCII letters, curly quotes and dashes to ASCII, and
//!   lowercases the rest;
//! - collapses every run of whitespace to one space (or one `\n` when it held a line break), turns
//!   `+` between letters into a space (`ignore+previous` in a query string), and joins letters
//!   spelled out one at a time (`i g n o r e`, `i.g.n.o.r.e`; four letters or more).
//!
//! HTML comment markers (`<!--`, `-->`) are kept: a comment is where hidden instructions live, and
//! the detectors look for them.

use crate::layer0::Span;

/// A normalised text and, for each of its bytes, the original byte range it came from.
#[derive(Debug, Clone)]
pub(crate) struct Normalised {
    text: String,
    /// `origin[i]` is the original `[start, end)` of the character that produced byte `i`
    /// (32 bits: [`Normalised::new`] reads at most 4 GiB).
    origin: Vec<(u32, u32)>,
}

impl Normalised {
    /// Normalises `original` (see the module docs). Linear in its length.
    pub(crate) fn new(original: &str) -> Normalised {
        // Callers pass windows of at most 64 KiB; beyond 4 GiB, offsets would not fit in 32 bits.
        let mut cut = original.len().min(u32::MAX as usize);
        while !original.is_char_boundary(cut) {
            cut -= 1;
        }
        let original = &original[..cut];
        let mut out = Builder {
            bytes: Vec::with_capacity(original.len()),
            origin: Vec::with_capacity(original.len()),
        };
        let bytes = original.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let decoded = match b {
                b'\\' => backslash_escape(original, i),
                b'&' => html_entity(original, i),
                b'%' => percent_escape(original, i),
                b'<' => match formatting_tag(original, i) {
                    Some((len, block)) => {
                        if block {
                            out.push(' ', i, i + len);
                        }
                        i += len;
                        continue;
                    }
                    None => None,
                },
                0..=0x7F if ASCII_CLASS[b as usize] == KEEP => {
                    // A run of ordinary ASCII: lowercase it in one go.
                    let mut j = i + 1;
                    while j < bytes.len()
                        && bytes[j] < 0x80
                        && ASCII_CLASS[bytes[j] as usize] == KEEP
                    {
                        j += 1;
                    }
                    out.push_plain(&bytes[i..j], i);
                    i = j;
                    continue;
                }
                0..=0x7F => {
                    out.push_ascii(b, i, i + 1);
                    i += 1;
                    continue;
                }
                _ => None,
            };
            if let Some((c, len)) = decoded {
                out.push(c, i, i + len);
                i += len;
                continue;
            }
            let Some(c) = original[i..].chars().next() else {
                break;
            };
            out.push(c, i, i + c.len_utf8());
            i += c.len_utf8();
        }
        out.finish()
    }

    /// The normalised text.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The original byte range of the normalised range `[start, end)`: from the start of the
    /// character that produced `start` to the end of the one that produced `end - 1`. Both ends
    /// are character boundaries of the original text.
    pub(crate) fn span(&self, start: usize, end: usize) -> Span {
        let Some(&(first, first_end)) = self.origin.get(start) else {
            let end_of_text = self.origin.last().map_or(0, |o| o.1 as usize);
            return Span {
                start: end_of_text,
                end: end_of_text,
            };
        };
        let last = if end > start {
            self.origin
                .get(end - 1)
                .or(self.origin.last())
                .map_or(first_end, |o| o.1)
        } else {
            first
        };
        Span {
            start: first as usize,
            end: last.max(first) as usize,
        }
    }
}

const KEEP: u8 = 0;
const SPACE: u8 = 1;
const BREAK: u8 = 2;
const DROP: u8 = 3;
/// Kept, but may start an escape, an entity, a percent-encoding or a tag.
const SPECIAL: u8 = 4;

/// What happens to each ASCII byte: kept (lowercased), a space, a line break, or dropped
/// (control characters and markdown emphasis).
const ASCII_CLASS: [u8; 128] = {
    let mut class = [KEEP; 128];
    let mut b = 0;
    while b < 0x20 {
        class[b] = DROP;
        b += 1;
    }
    class[0x7F] = DROP;
    class[b'*' as usize] = DROP;
    class[b'`' as usize] = DROP;
    class[b' ' as usize] = SPACE;
    class[b'\t' as usize] = SPACE;
    class[b'\n' as usize] = BREAK;
    class[b'\r' as usize] = BREAK;
    class[0x0B] = BREAK;
    class[0x0C] = BREAK;
    class[b'\\' as usize] = SPECIAL;
    class[b'&' as usize] = SPECIAL;
    class[b'%' as usize] = SPECIAL;
    class[b'<' as usize] = SPECIAL;
    class
};

/// Collects output bytes with their origin, folding as it goes.
struct Builder {
    bytes: Vec<u8>,
    origin: Vec<(u32, u32)>,
}

impl Builder {
    /// Adds the ASCII byte `b`, which stands for original bytes `[start, end)`.
    #[inline]
    fn push_ascii(&mut self, b: u8, start: usize, end: usize) {
        match ASCII_CLASS[b as usize] {
            KEEP | SPECIAL => {
                self.bytes
                    .push(b | if b.is_ascii_uppercase() { 0x20 } else { 0 });
                self.origin.push((start as u32, end as u32));
            }
            SPACE => self.space(false, start, end),
            BREAK => self.space(true, start, end),
            _ => {}
        }
    }

    /// Adds ordinary ASCII bytes (class [`KEEP`]) that start at original byte `start`.
    fn push_plain(&mut self, run: &[u8], start: usize) {
        self.bytes.extend(run.iter().map(u8::to_ascii_lowercase));
        let start = start as u32;
        self.origin
            .extend((start..start + run.len() as u32).map(|k| (k, k + 1)));
    }

    /// Adds the character `c`, which stands for original bytes `[start, end)`.
    fn push(&mut self, c: char, start: usize, end: usize) {
        let c = match c as u32 {
            // Tag characters spell ASCII invisibly.
            0xE0020..=0xE007E => char::from_u32(c as u32 - 0xE0000).unwrap_or(' '),
            _ => c,
        };
        if c.is_ascii() {
            return self.push_ascii(c as u8, start, end);
        }
        if is_line_break(c) || c.is_whitespace() {
            return self.space(is_line_break(c), start, end);
        }
        if is_invisible(c) || c.is_control() {
            return;
        }
        if let Some(folded) = fold_char(c) {
            return self.emit(folded, start, end);
        }
        for lower in c.to_lowercase() {
            self.emit(fold_char(lower).unwrap_or(lower), start, end);
        }
    }

    /// One space (or line break) for a run of whitespace.
    fn space(&mut self, newline: bool, start: usize, end: usize) {
        if let (Some(last), Some(origin)) = (self.bytes.last_mut(), self.origin.last_mut()) {
            if *last == b' ' || *last == b'\n' {
                if newline {
                    *last = b'\n';
                }
                origin.1 = end as u32;
                return;
            }
        }
        self.bytes.push(if newline { b'\n' } else { b' ' });
        self.origin.push((start as u32, end as u32));
    }

    fn emit(&mut self, c: char, start: usize, end: usize) {
        let mut buf = [0u8; 4];
        for &b in c.encode_utf8(&mut buf).as_bytes() {
            self.bytes.push(b);
            self.origin.push((start as u32, end as u32));
        }
    }

    fn finish(mut self) -> Normalised {
        plus_between_letters(&mut self.bytes);
        join_spelled_letters(&mut self.bytes, &mut self.origin);
        // Only whole characters were pushed and only ASCII bytes replaced or removed, so the
        // bytes are UTF-8; should that ever fail, an empty text finds nothing rather than panic.
        match String::from_utf8(self.bytes) {
            Ok(text) => Normalised {
                text,
                origin: self.origin,
            },
            Err(_) => Normalised {
                text: String::new(),
                origin: Vec::new(),
            },
        }
    }
}

/// `ignore+previous+instructions` (a form-encoded query string) reads as words.
fn plus_between_letters(bytes: &mut [u8]) {
    for i in 1..bytes.len().saturating_sub(1) {
        if bytes[i] == b'+'
            && bytes[i - 1].is_ascii_alphabetic()
            && bytes[i + 1].is_ascii_alphabetic()
        {
            bytes[i] = b' ';
        }
    }
}

/// Joins runs of four or more single letters separated by one space, dot, dash, underscore or
/// bar (`i g n o r e` → `ignore`). Words of two letters or more end a run, so ordinary text is
/// untouched.
fn join_spelled_letters(bytes: &mut Vec<u8>, origin: &mut Vec<(u32, u32)>) {
    // Non-ASCII bytes belong to letters of other scripts: they count as word characters.
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b >= 0x80;
    let is_sep = |b: u8| matches!(b, b' ' | b'.' | b'-' | b'_' | b'|');
    let n = bytes.len();
    let single = |bytes: &[u8], i: usize| {
        bytes[i].is_ascii_lowercase()
            && (i == 0 || !is_word(bytes[i - 1]))
            && (i + 1 == n || !is_word(bytes[i + 1]))
    };
    let mut drop: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < n {
        if !single(bytes, i) {
            i += 1;
            continue;
        }
        let mut j = i;
        let mut count = 1;
        while j + 2 < n && is_sep(bytes[j + 1]) && single(bytes, j + 2) {
            j += 2;
            count += 1;
        }
        if count >= 4 {
            drop.extend((i + 1..j).step_by(2));
        }
        i = j + 1;
    }
    if drop.is_empty() {
        return;
    }
    let mut next_drop = drop.iter().peekable();
    let mut write = 0;
    for read in 0..n {
        if next_drop.peek() == Some(&&read) {
            next_drop.next();
            continue;
        }
        bytes[write] = bytes[read];
        origin[write] = origin[read];
        write += 1;
    }
    bytes.truncate(write);
    origin.truncate(write);
}

fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Characters that render as nothing (or are meant to be skipped by a reader).
fn is_invisible(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0xFFF9..=0xFFFB | 0x1D173..=0x1D17A | 0xE0000..=0xE007F
        | 0xE0100..=0xE01EF
        // Combining marks: `i̇gnore`, or accents written as separate characters.
        | 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// Base letters of U+00C0..U+024F (accented Latin), `.` where there is none.
const LATIN_BASE: &str = concat!(
    "aaaaaaaceeeeiiiidnooooo.ouuuuy.saaaaaaaceeeeiiiidnooooo.ouuuuy.yaaaaaaccccccccdd",
    "ddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkkllllllllllnnnnnn.nnoooooooorrrrrrssssss",
    "ssttttttuuuuuuuuuuuuwwyyyzzzzzzsb......................i........oo.............u",
    "u....zz.............dddlllnnnaaiioouuuuuuuuuu.aaaa....ggkkoooo..jdddgg..nnaa....",
    "aaaaeeeeiiiioooorrrruuuusstt..hh......aaeeooooooooyy......acc.t....bu.eejj..rr..",
);

/// The ASCII character `c` is a look-alike or a variant of, if any (already lowercase).
fn fold_char(c: char) -> Option<char> {
    let cp = c as u32;
    if cp < 0x80 {
        return if c.is_ascii_uppercase() {
            Some(c.to_ascii_lowercase())
        } else {
            Some(c)
        };
    }
    let ascii = |b: u32| char::from_u32(b).map(|c| c.to_ascii_lowercase());
    match cp {
        0xC0..=0x24F => {
            let b = LATIN_BASE.as_bytes()[(cp - 0xC0) as usize];
            return (b != b'.').then_some(b as char);
        }
        // Fullwidth ASCII.
        0xFF01..=0xFF5E => return ascii(cp - 0xFF01 + 0x21),
        // Mathematical alphanumeric letters: 13 alphabets of A–Z a–z (holes are elsewhere).
        0x1D400..=0x1D6A3 => {
            let k = (cp - 0x1D400) % 52;
            return ascii(if k < 26 { 0x41 + k } else { 0x61 + k - 26 });
        }
        0x1D7CE..=0x1D7FF => return ascii(0x30 + (cp - 0x1D7CE) % 10),
        // Circled, parenthesised, squared and negative letters; regional indicators.
        0x24B6..=0x24CF => return ascii(0x61 + cp - 0x24B6),
        0x24D0..=0x24E9 => return ascii(0x61 + cp - 0x24D0),
        0x249C..=0x24B5 => return ascii(0x61 + cp - 0x249C),
        0x1F130..=0x1F149 => return ascii(0x61 + cp - 0x1F130),
        0x1F150..=0x1F169 => return ascii(0x61 + cp - 0x1F150),
        0x1F170..=0x1F189 => return ascii(0x61 + cp - 0x1F170),
        0x1F1E6..=0x1F1FF => return ascii(0x61 + cp - 0x1F1E6),
        _ => {}
    }
    let folded = match c {
        // Cyrillic.
        'А' | 'а' => 'a',
        'В' | 'в' | 'Ь' | 'ь' => 'b',
        'С' | 'с' | 'Ϲ' | 'ϲ' => 'c',
        'Ԁ' | 'ԁ' => 'd',
        'Е' | 'е' | 'Ѐ' | 'ѐ' | 'Ё' | 'ё' | 'Є' | 'є' => 'e',
        'Н' | 'н' | 'Һ' | 'һ' => 'h',
        'І' | 'і' | 'Ї' | 'ї' | 'Ӏ' | 'ӏ' => 'i',
        'Ј' | 'ј' => 'j',
        'К' | 'к' => 'k',
        'М' | 'м' => 'm',
        'П' | 'п' => 'n',
        'О' | 'о' => 'o',
        'Р' | 'р' => 'p',
        'Ԛ' | 'ԛ' => 'q',
        'Г' | 'г' => 'r',
        'Ѕ' | 'ѕ' => 's',
        'Т' | 'т' => 't',
        'Ѵ' | 'ѵ' => 'v',
        'Ԝ' | 'ԝ' => 'w',
        'Х' | 'х' => 'x',
        'У' | 'у' | 'Ү' | 'ү' => 'y',
        // Greek.
        'Α' | 'α' => 'a',
        'Β' | 'β' => 'b',
        'Ε' | 'ε' => 'e',
        'Ζ' => 'z',
        'Η' => 'h',
        'η' => 'n',
        'Ι' | 'ι' => 'i',
        'Κ' | 'κ' => 'k',
        'Μ' => 'm',
        'Ν' => 'n',
        'ν' => 'v',
        'Ο' | 'ο' | 'σ' => 'o',
        'Ρ' | 'ρ' => 'p',
        'Τ' | 'τ' => 't',
        'Υ' | 'γ' => 'y',
        'υ' | 'μ' => 'u',
        'Χ' | 'χ' => 'x',
        'ω' => 'w',
        'ς' => 's',
        'Ϳ' | 'ϳ' => 'j',
        // Armenian.
        'օ' => 'o',
        'ս' => 'u',
        'հ' => 'h',
        'ո' => 'n',
        'ց' => 'g',
        'զ' => 'q',
        // Small capitals and other Latin look-alikes.
        'ᴀ' => 'a',
        'ʙ' => 'b',
        'ᴄ' => 'c',
        'ᴅ' => 'd',
        'ᴇ' => 'e',
        'ɢ' | 'ɡ' => 'g',
        'ʜ' => 'h',
        'ɪ' => 'i',
        'ᴊ' => 'j',
        'ᴋ' => 'k',
        'ʟ' | 'ℓ' => 'l',
        'ᴍ' => 'm',
        'ɴ' => 'n',
        'ᴏ' => 'o',
        'ᴘ' => 'p',
        'ʀ' => 'r',
        'ꜱ' => 's',
        'ᴛ' => 't',
        'ᴜ' => 'u',
        'ᴠ' => 'v',
        'ᴡ' => 'w',
        'ʏ' => 'y',
        'ᴢ' => 'z',
        // Letterlike symbols and Roman numerals.
        'ℂ' | 'ℭ' | 'ⅽ' | 'Ⅽ' => 'c',
        'ℯ' | 'ℰ' => 'e',
        'ℱ' => 'f',
        'ℊ' => 'g',
        'ℋ' | 'ℌ' | 'ℍ' => 'h',
        'ℐ' | 'ℑ' | 'ℹ' | 'ⅰ' | 'Ⅰ' => 'i',
        'ℒ' | 'ⅼ' | 'Ⅼ' => 'l',
        'ℳ' | 'ⅿ' | 'Ⅿ' => 'm',
        'ℕ' => 'n',
        'ℴ' => 'o',
        'ℙ' => 'p',
        'ℚ' => 'q',
        'ℛ' | 'ℜ' | 'ℝ' => 'r',
        'ⅴ' | 'Ⅴ' => 'v',
        'ⅹ' | 'Ⅹ' => 'x',
        'ℤ' => 'z',
        'ⅾ' | 'Ⅾ' => 'd',
        // Punctuation variants.
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{00B4}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
        | '\u{00BB}' => '"',
        '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        '\u{2026}' => '.',
        _ => return None,
    };
    Some(folded)
}

/// `\n`, `\"`, `\uXXXX` (with surrogate pairs), `\xHH`: the character and the escape's length.
fn backslash_escape(s: &str, i: usize) -> Option<(char, usize)> {
    let bytes = s.as_bytes();
    let c = match *bytes.get(i + 1)? {
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'"' => '"',
        b'\'' => '\'',
        b'\\' => '\\',
        b'/' => '/',
        b'x' => {
            let v = hex_value(bytes.get(i + 2..i + 4)?)?;
            return Some((char::from_u32(v)?, 4));
        }
        b'u' => {
            let hi = hex_value(bytes.get(i + 2..i + 6)?)?;
            if (0xD800..0xDC00).contains(&hi) {
                if bytes.get(i + 6..i + 8) == Some(b"\\u") {
                    let lo = hex_value(bytes.get(i + 8..i + 12)?)?;
                    if (0xDC00..0xE000).contains(&lo) {
                        let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                        return Some((char::from_u32(cp)?, 12));
                    }
                }
                // A lone surrogate stands for nothing readable: drop it.
                return Some(('\u{200B}', 6));
            }
            return Some((char::from_u32(hi).unwrap_or('\u{200B}'), 6));
        }
        _ => return None,
    };
    Some((c, 2))
}

fn hex_value(digits: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &d in digits {
        v = v * 16 + (d as char).to_digit(16)?;
    }
    Some(v)
}

/// `&lt;`, `&#105;`, `&#x69;`, `&zwnj;`: the character and the entity's length.
fn html_entity(s: &str, i: usize) -> Option<(char, usize)> {
    let bytes = s.as_bytes();
    let rest = bytes.get(i + 1..bytes.len().min(i + 12))?;
    let semi = rest.iter().position(|&b| b == b';')?;
    let name = &rest[..semi];
    let c = match name {
        b"lt" => '<',
        b"gt" => '>',
        b"amp" => '&',
        b"quot" => '"',
        b"apos" => '\'',
        b"nbsp" => ' ',
        b"zwj" | b"zwnj" | b"shy" | b"lrm" | b"rlm" | b"zwsp" => '\u{200B}',
        [b'#', b'x' | b'X', hex @ ..] if !hex.is_empty() && hex.len() <= 6 => {
            char::from_u32(hex_value(hex)?)?
        }
        [b'#', dec @ ..] if !dec.is_empty() && dec.len() <= 7 => {
            let mut v = 0u32;
            for &d in dec {
                v = v * 10 + (d as char).to_digit(10)?;
            }
            char::from_u32(v)?
        }
        _ => return None,
    };
    Some((c, semi + 2))
}

/// One UTF-8 character written as `%XX` triples: the character and the escape's length.
fn percent_escape(s: &str, i: usize) -> Option<(char, usize)> {
    let bytes = s.as_bytes();
    let byte_at = |k: usize| -> Option<u8> {
        let at = i + 3 * k;
        if *bytes.get(at)? != b'%' {
            return None;
        }
        hex_value(bytes.get(at + 1..at + 3)?).map(|v| v as u8)
    };
    let first = byte_at(0)?;
    let len = match first {
        0x00..=0x7F => 1,
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return None,
    };
    let mut buf = [0u8; 4];
    buf[0] = first;
    for (k, slot) in buf.iter_mut().enumerate().take(len).skip(1) {
        *slot = byte_at(k)?;
    }
    let c = std::str::from_utf8(&buf[..len]).ok()?.chars().next()?;
    Some((c, 3 * len))
}

/// Inline formatting tags, which split a word without changing what it says.
const INLINE_TAGS: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "del", "em", "font", "i", "ins", "kbd",
    "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "tt", "u", "var",
    "wbr",
];
/// Block tags, which separate words.
const BLOCK_TAGS: &[&str] = &[
    "br",
    "div",
    "p",
    "li",
    "ul",
    "ol",
    "tr",
    "td",
    "th",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "pre",
    "blockquote",
    "section",
    "article",
    "header",
    "footer",
];

/// A formatting tag at `i` (`<b>`, `</span>`, `<span style="…">`, `<br/>`): its length and
/// whether it separates words. Other tags (`<INFORMATION>`, `<system>`) are kept as text.
fn formatting_tag(s: &str, i: usize) -> Option<(usize, bool)> {
    let bytes = s.as_bytes();
    let mut j = i + 1;
    if bytes.get(j) == Some(&b'/') {
        j += 1;
    }
    let name_start = j;
    while j < bytes.len() && j - name_start < 12 && bytes[j].is_ascii_alphanumeric() {
        j += 1;
    }
    if j == name_start {
        return None;
    }
    let name = s.get(name_start..j)?.to_ascii_lowercase();
    let block = if INLINE_TAGS.contains(&name.as_str()) {
        false
    } else if BLOCK_TAGS.contains(&name.as_str()) {
        true
    } else {
        return None;
    };
    // Attributes, up to a bounded length, then `>` or `/>`.
    let limit = bytes.len().min(j + 256);
    match bytes.get(j) {
        Some(b'>') => return Some((j + 1 - i, block)),
        Some(b' ' | b'\t' | b'\n' | b'/') => {}
        _ => return None,
    }
    while j < limit {
        match bytes[j] {
            b'>' => return Some((j + 1 - i, block)),
            b'<' => return None,
            _ => j += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        Normalised::new(s).text().to_string()
    }

    /// The original text a normalised range came from.
    fn back<'a>(original: &'a str, n: &Normalised, needle: &str) -> &'a str {
        let at = n.text().find(needle).expect("needle in normalised text");
        let span = n.span(at, at + needle.len());
        &original[span.start..span.end]
    }

    #[test]
    fn case_and_alternating_case_fold() {
        assert_eq!(norm("iGnOrE aLl PrEvIoUs"), "ignore all previous");
    }

    #[test]
    fn cyrillic_and_greek_homoglyphs_become_latin() {
        let original =
            "\u{0406}gn\u{043e}r\u{0435} \u{0430}ll \u{0440}r\u{0435}v\u{0456}\u{043e}us";
        assert_eq!(norm(original), "ignore all previous");
        assert_eq!(norm("\u{0399}\u{039d}STRUCTI\u{039f}NS"), "instructions");
    }

    #[test]
    fn zero_width_and_tag_characters() {
        let original = "i\u{200b}g\u{200b}n\u{200b}o\u{200b}r\u{200b}e previous";
        let n = Normalised::new(original);
        assert_eq!(n.text(), "ignore previous");
        // The span of the folded word covers the invisible characters too.
        assert_eq!(
            back(original, &n, "ignore"),
            "i\u{200b}g\u{200b}n\u{200b}o\u{200b}r\u{200b}e"
        );
        let smuggled: String = "hi"
            .chars()
            .map(|c| char::from_u32(0xE0000 + c as u32).unwrap())
            .collect();
        assert_eq!(norm(&format!("say{smuggled}")), "sayhi");
    }

    #[test]
    fn escapes_entities_and_percent_encoding_decode_with_spans() {
        let original = r#"a\n\"b\"\u0069gnore &#105;t &lt;x&gt; ignore%20previous%E2%80%8Bx"#;
        let n = Normalised::new(original);
        assert_eq!(n.text(), "a\n\"b\"ignore it <x> ignore previousx");
        assert_eq!(back(original, &n, "ignore it"), r"\u0069gnore &#105;t");
        assert_eq!(back(original, &n, "previousx"), "previous%E2%80%8Bx");
        // Malformed escapes stay as they are.
        assert_eq!(norm(r"100% \u12 &#xZZ; %zz"), r"100% \u12 &#xzz; %zz");
    }

    #[test]
    fn whitespace_collapses_and_keeps_line_breaks() {
        assert_eq!(norm("a \t\u{a0} b\r\n\n c"), "a b\nc");
    }

    #[test]
    fn inline_tags_and_markdown_emphasis_vanish_but_other_tags_stay() {
        assert_eq!(
            norm("ig<b>no</b>re <span style=\"x\">all</span>"),
            "ignore all"
        );
        assert_eq!(norm("a<br/>b"), "a b");
        assert_eq!(norm("**ignore** `previous`"), "ignore previous");
        assert_eq!(norm("<INFORMATION> <!-- x -->"), "<information> <!-- x -->");
    }

    #[test]
    fn spelled_out_letters_join_but_words_do_not() {
        assert_eq!(norm("i g n o r e previous"), "ignore previous");
        assert_eq!(norm("I.G.N.O.R.E it"), "ignore it");
        assert_eq!(norm("a b c"), "a b c");
        assert_eq!(
            norm("v=spf1 a mx ip4:192.0.2.1 -all"),
            "v=spf1 a mx ip4:192.0.2.1 -all"
        );
        assert_eq!(
            norm("q=ignore+previous+instructions"),
            "q=ignore previous instructions"
        );
    }

    #[test]
    fn confusable_letter_families() {
        assert_eq!(norm("ＩＧＮＯＲＥ"), "ignore");
        assert_eq!(norm("\u{1D422}\u{1D420}\u{1D427}"), "ign");
        assert_eq!(norm("ⓘⓖⓝ"), "ign");
        assert_eq!(norm("ïgnörë"), "ignore");
        assert_eq!(norm("“quoted” – dash"), "\"quoted\" - dash");
    }

    #[test]
    fn spans_are_char_boundaries_of_the_original() {
        let original = "Ünïcödé ＡＢ \u{1F600} x";
        let n = Normalised::new(original);
        for start in 0..=n.text().len() {
            for end in start..=n.text().len() {
                let span = n.span(start, end);
                assert!(span.start <= span.end && span.end <= original.len());
                assert!(
                    original.is_char_boundary(span.start) && original.is_char_boundary(span.end)
                );
            }
        }
    }
}
