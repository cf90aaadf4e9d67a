//! What the `check` and `drift` benchmarks both read: a `ZONESxRECORDS` size and the process's
//! memory from `/proc/self/status` (`#[path]`-included; not a bench target of its own).

/// A `/proc/self/status` field (`VmHWM:`, `VmRSS:`) in MiB; NaN where there is no such file.
pub fn memory_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kib| kib.parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// `100x1000` as (zones, records per zone).
pub fn parse_size(text: &str) -> Result<(usize, usize), String> {
    let (z, r) = text
        .split_once('x')
        .ok_or(format!("bad size {text:?}, expected ZONESxRECORDS"))?;
    Ok((
        z.parse().map_err(|e| format!("{text}: {e}"))?,
        r.parse().map_err(|e| format!("{text}: {e}"))?,
    ))
}
