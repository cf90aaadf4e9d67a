//! Lookalike domains: does a domain imitate one of the account's zones?
//!
//! Phishing and typosquatting domains borrow a zone's name: look-alike characters (`acme-sh0p`,
//! a Cyrillic `а`, `rn` for `m`), one typing slip (`acme-shpo`), another top-level domain
//! (`acme-shop.net`), extra words (`acme-shop-login.com`) or the whole zone name as a subdomain of
//! someone else's domain (`acme-shop.com.verify-account.io`). Each is recognised here against the
//! zone's registrable part; punycode labels (`xn--...`) are decoded first, so `xn--cme-shop-06g.com`
//! is seen as the `аcme-shop.com` it displays as.

use serde::{Deserialize, Serialize};

/// How a domain imitates a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LookalikeTechnique {
    /// Reads the same once look-alike characters are mapped (`0`/`o`, Cyrillic `а`/`a`, `rn`/`m`).
    Homoglyph,
    /// The zone's name sits in the subdomain part of another domain.
    Embedded,
    /// One or two typing slips away (insert, delete, replace, swap).
    Typo,
    /// The zone's name with extra words (`-login`, `secure-`).
    Combo,
    /// The same name under another top-level domain.
    TldSwap,
}

/// A domain that imitates a zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lookalike {
    /// The zone imitated.
    pub zone: String,
    /// How.
    pub technique: LookalikeTechnique,
    /// What differs, in words.
    pub detail: String,
}

/// Two-label public suffixes common enough to matter for the registrable part.
const TWO_LABEL_SUFFIXES: &[&str] = &[
    "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "ltd.uk", "plc.uk", "com.au", "net.au",
    "org.au", "edu.au", "gov.au", "co.nz", "org.nz", "co.jp", "ne.jp", "or.jp", "co.kr", "com.br",
    "com.cn", "com.mx", "com.tr", "co.in", "co.za", "com.sg", "com.hk", "com.tw", "co.il",
    "com.ar", "co.id", "com.my", "com.ph",
];

/// Brands shorter than this are too short to call a near miss a lookalike.
const MIN_BRAND_CHARS: usize = 4;

/// A domain split into subdomain labels, the registrable label and the public suffix.
struct Split<'a> {
    sub: Vec<&'a str>,
    brand: &'a str,
    suffix: String,
}

fn split(domain: &str) -> Split<'_> {
    let labels: Vec<&str> = domain.split('.').collect();
    let n = labels.len();
    let suffix_labels =
        if n >= 3 && TWO_LABEL_SUFFIXES.contains(&labels[n - 2..].join(".").as_str()) {
            2
        } else {
            1
        };
    let brand_at = n.saturating_sub(suffix_labels + 1);
    Split {
        sub: labels[..brand_at].to_vec(),
        brand: labels.get(brand_at).copied().unwrap_or(""),
        suffix: labels[(brand_at + 1).min(n)..].join("."),
    }
}

/// The ASCII letters a look-alike character is read as (empty when it is not one).
fn confusable(c: char) -> &'static str {
    match c {
        // Digits and symbols read as letters.
        '0' => "o",
        '1' | '|' => "l",
        // Cyrillic.
        'а' => "a",
        'в' => "b",
        'е' | 'ё' => "e",
        'і' | 'ї' => "i",
        'ј' => "j",
        'к' => "k",
        'о' => "o",
        'р' => "p",
        'с' => "c",
        'ѕ' => "s",
        'у' => "y",
        'х' => "x",
        'ԁ' => "d",
        'ԛ' => "q",
        'ԝ' => "w",
        'һ' => "h",
        'ӏ' => "l",
        'ո' => "n",
        // Greek.
        'α' => "a",
        'γ' => "y",
        'ε' => "e",
        'ι' => "i",
        'κ' => "k",
        'ν' => "v",
        'ο' => "o",
        'ρ' => "p",
        'τ' => "t",
        'υ' => "u",
        'χ' => "x",
        'ω' => "w",
        // Latin extensions.
        'ı' | 'ɩ' => "i",
        'ɡ' => "g",
        'ɑ' => "a",
        'ʏ' => "y",
        'ℓ' | 'ǀ' => "l",
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' => "i",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => "",
    }
}

/// The text as it reads: look-alike characters mapped to ASCII letters, full-width forms folded,
/// `rn` read as `m` and `vv` as `w`.
///
/// ```
/// use cfcp::oracle::skeleton;
/// assert_eq!(skeleton("acme-sh0p"), skeleton("acme-shop"));
/// assert_eq!(skeleton("аcrne"), "acme"); // Cyrillic а, then "rn"
/// ```
pub fn skeleton(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = match c {
            // Full-width ASCII.
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            c => c,
        };
        match confusable(c) {
            "" => out.push(c),
            mapped => out.push_str(mapped),
        }
    }
    out.replace("rn", "m").replace("vv", "w")
}

/// Edit distance with adjacent transpositions (optimal string alignment), over characters.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

/// The characters of `brand` that differ from `zone_brand`, position by position (only when both
/// have the same number of characters).
fn substitutions(brand: &str, zone_brand: &str) -> Vec<String> {
    if brand.chars().count() != zone_brand.chars().count() {
        return Vec::new();
    }
    brand
        .chars()
        .zip(zone_brand.chars())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| {
            if a.is_ascii() {
                format!("'{a}' for '{b}'")
            } else {
                format!("'{a}' (U+{:04X}) for '{b}'", a as u32)
            }
        })
        .collect()
}

/// Whether `domain` (lower case, Unicode form) imitates `zone`, and how. A domain equal to the
/// zone or under it is the zone's own, not a lookalike.
///
/// ```
/// use cfcp::oracle::{lookalike_of, LookalikeTechnique};
/// let l = lookalike_of("acme-sh0p.com", "acme-shop.com").unwrap();
/// assert_eq!(l.technique, LookalikeTechnique::Homoglyph);
/// assert!(lookalike_of("www.acme-shop.com", "acme-shop.com").is_none());
/// assert!(lookalike_of("example.org", "acme-shop.com").is_none());
/// ```
pub fn lookalike_of(domain: &str, zone: &str) -> Option<Lookalike> {
    let domain = domain.trim_end_matches('.').to_lowercase();
    let zone = zone.trim_end_matches('.').to_lowercase();
    if domain.is_empty() || zone.is_empty() || domain == zone {
        return None;
    }
    if domain.ends_with(&format!(".{zone}")) {
        return None;
    }
    let d = split(&domain);
    let z = split(&zone);
    let z_chars = z.brand.chars().count();
    if z_chars < MIN_BRAND_CHARS || d.brand.is_empty() {
        return None;
    }
    let found = |technique, detail: String| {
        Some(Lookalike {
            zone: zone.clone(),
            technique,
            detail,
        })
    };
    let (d_skel, z_skel) = (skeleton(d.brand), skeleton(z.brand));
    let other_suffix = if d.suffix == z.suffix {
        String::new()
    } else {
        format!(", under .{} instead of .{}", d.suffix, z.suffix)
    };
    if d.brand != z.brand && d_skel == z_skel {
        let subs = substitutions(d.brand, z.brand);
        let what = if subs.is_empty() {
            "look-alike character sequences".to_owned()
        } else {
            subs.join(", ")
        };
        let script = if d.brand.is_ascii() {
            ""
        } else {
            " (characters from another script)"
        };
        return found(
            LookalikeTechnique::Homoglyph,
            format!(
                "{:?} reads as {:?}: {what}{script}{other_suffix}",
                d.brand, z.brand
            ),
        );
    }
    let sub_joined = d.sub.join(".");
    if !d.sub.is_empty()
        && (sub_joined == zone
            || sub_joined.ends_with(&format!(".{zone}"))
            || d.sub.iter().any(|l| *l == z.brand || skeleton(l) == z_skel))
    {
        return found(
            LookalikeTechnique::Embedded,
            format!(
                "the zone's name appears in the subdomain part of {}.{}, a domain the account does not own",
                d.brand, d.suffix
            ),
        );
    }
    let allowed = if z_chars >= 10 { 2 } else { 1 };
    if d.brand != z.brand
        && (distance(d.brand, z.brand) <= allowed || distance(&d_skel, &z_skel) <= allowed)
    {
        return found(
            LookalikeTechnique::Typo,
            format!(
                "{:?} is {} edit(s) from {:?}{other_suffix}",
                d.brand,
                distance(d.brand, z.brand),
                z.brand
            ),
        );
    }
    let bare = |s: &str| s.replace(['-', '_'], "");
    if d.brand != z.brand
        && (bare(d.brand).contains(&bare(z.brand)) || bare(&d_skel).contains(&bare(&z_skel)))
    {
        return found(
            LookalikeTechnique::Combo,
            format!(
                "{:?} is the zone's name {:?} with extra words{other_suffix}",
                d.brand, z.brand
            ),
        );
    }
    if d.brand == z.brand && d.suffix != z.suffix {
        return found(
            LookalikeTechnique::TldSwap,
            format!("the same name under .{} instead of .{}", d.suffix, z.suffix),
        );
    }
    None
}

/// Decodes one punycode label (without its `xn--` prefix), RFC 3492. `None` when it is not valid
/// punycode or decodes to more than 63 characters.
pub(crate) fn punycode_decode(input: &str) -> Option<String> {
    const BASE: u32 = 36;
    const TMIN: u32 = 1;
    const TMAX: u32 = 26;
    const MAX_CHARS: usize = 63;
    if !input.is_ascii() {
        return None;
    }
    let (basic, rest) = match input.rfind('-') {
        Some(at) => (&input[..at], &input[at + 1..]),
        None => ("", input),
    };
    let mut output: Vec<char> = basic.chars().collect();
    let (mut n, mut i, mut bias) = (128u32, 0u32, 72u32);
    let mut digits = rest.bytes();
    let mut pending = digits.len() > 0;
    while pending {
        let old_i = i;
        let mut w = 1u32;
        let mut k = BASE;
        loop {
            let byte = digits.next()?;
            let digit = match byte {
                b'a'..=b'z' => u32::from(byte - b'a'),
                b'A'..=b'Z' => u32::from(byte - b'A'),
                b'0'..=b'9' => u32::from(byte - b'0') + 26,
                _ => return None,
            };
            i = i.checked_add(digit.checked_mul(w)?)?;
            let t = if k <= bias {
                TMIN
            } else if k >= bias + TMAX {
                TMAX
            } else {
                k - bias
            };
            if digit < t {
                break;
            }
            w = w.checked_mul(BASE - t)?;
            k = k.checked_add(BASE)?;
        }
        let len = u32::try_from(output.len()).ok()? + 1;
        bias = adapt(i - old_i, len, old_i == 0);
        n = n.checked_add(i / len)?;
        i %= len;
        let c = char::from_u32(n)?;
        if output.len() >= MAX_CHARS {
            return None;
        }
        output.insert(usize::try_from(i).ok()?, c);
        i += 1;
        pending = digits.len() > 0;
    }
    Some(output.into_iter().collect())
}

fn adapt(delta: u32, points: u32, first: bool) -> u32 {
    const BASE: u32 = 36;
    let mut delta = if first { delta / 700 } else { delta / 2 };
    delta += delta / points;
    let mut k = 0;
    while delta > ((BASE - 1) * 26) / 2 {
        delta /= BASE - 1;
        k += BASE;
    }
    k + (BASE * delta) / (delta + 38)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn technique(domain: &str, zone: &str) -> Option<LookalikeTechnique> {
        lookalike_of(domain, zone).map(|l| l.technique)
    }

    #[test]
    fn punycode_decodes_rfc_3492_labels() {
        assert_eq!(punycode_decode("bcher-kva").as_deref(), Some("bücher"));
        assert_eq!(
            punycode_decode("cme-shop-06g").as_deref(),
            Some("аcme-shop")
        );
        assert_eq!(
            punycode_decode("acme-shp-t4a").as_deref(),
            Some("acme-shöp")
        );
        assert_eq!(punycode_decode("abc-").as_deref(), Some("abc"));
        for bad in [
            "bcher-kv!",
            "zzzzzzzzzzzzzzzzzzzzzzzzzzzz",
            "ü",
            "-9999999999",
        ] {
            assert!(punycode_decode(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn each_technique_is_recognised() {
        let zone = "acme-shop.com";
        use LookalikeTechnique as T;
        assert_eq!(technique("acme-sh0p.com", zone), Some(T::Homoglyph));
        assert_eq!(technique("аcme-shop.com", zone), Some(T::Homoglyph));
        assert_eq!(technique("acrne-shop.com", zone), Some(T::Homoglyph));
        assert_eq!(technique("login.acme-sh0p.net", zone), Some(T::Homoglyph));
        assert_eq!(technique("acme-shpo.com", zone), Some(T::Typo));
        assert_eq!(technique("acmeshop.com", zone), Some(T::Typo));
        assert_eq!(technique("acme-shop-login.com", zone), Some(T::Combo));
        assert_eq!(technique("secure-acmeshop.io", zone), Some(T::Combo));
        assert_eq!(technique("acme-shop.net", zone), Some(T::TldSwap));
        assert_eq!(technique("acme-shop.co.uk", zone), Some(T::TldSwap));
        assert_eq!(
            technique("acme-shop.com.verify-account.io", zone),
            Some(T::Embedded)
        );
        assert_eq!(technique("acme-shop.evil.io", zone), Some(T::Embedded));
    }

    #[test]
    fn own_and_unrelated_domains_are_not_lookalikes() {
        let zone = "acme-shop.com";
        for domain in [
            "acme-shop.com",
            "www.acme-shop.com",
            "example.com",
            "shop.example.com",
            "acme-api.io",
        ] {
            assert_eq!(technique(domain, zone), None, "{domain}");
        }
        assert_eq!(technique("abd.com", "abc.com"), None, "brand too short");
    }

    #[test]
    fn homoglyph_detail_names_the_characters() {
        let l = lookalike_of("аcme-shop.com", "acme-shop.com").unwrap_or_else(|| panic!());
        assert!(l.detail.contains("U+0430"), "{}", l.detail);
    }
}
