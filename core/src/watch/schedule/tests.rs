use super::*;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn backoff_doubles_from_the_base_and_stops_at_the_cap() {
    let b = Backoff {
        base: secs(2),
        cap: secs(30),
    };
    let delays: Vec<u64> = (0..8).map(|k| b.delay(k).as_secs()).collect();
    assert_eq!(delays, vec![0, 2, 4, 8, 16, 30, 30, 30]);
    assert_eq!(b.delay(u32::MAX), secs(30), "no overflow");
    let short = Backoff::for_interval(secs(1));
    assert_eq!((short.delay(1), short.delay(9)), (secs(1), secs(1)));
    let five = Backoff::for_interval(secs(300));
    assert_eq!(five.base, secs(5));
    assert!((1..40).all(|k| five.delay(k) <= secs(300) && five.delay(k) >= five.delay(k - 1)));
}

#[test]
fn healthy_cycles_keep_the_rhythm_and_skip_missed_ticks() {
    let s = Schedule::new(secs(10));
    assert_eq!(
        s.next(secs(0), secs(3), 0),
        NextCycle {
            at: secs(10),
            skipped_ticks: 0
        }
    );
    assert_eq!(
        s.next(secs(10), secs(10), 0).at,
        secs(20),
        "an instant cycle still waits"
    );
    // Ending exactly on a tick starts the next cycle right away, without overlap.
    assert_eq!(
        s.next(secs(10), secs(20), 0),
        NextCycle {
            at: secs(20),
            skipped_ticks: 0
        }
    );
    // The ticks at 20, 30 and 40 s fell during a 35 s cycle.
    assert_eq!(
        s.next(secs(10), secs(45), 0),
        NextCycle {
            at: secs(50),
            skipped_ticks: 3
        }
    );
    // A cycle started off-tick (after a backoff) returns to the ticks.
    assert_eq!(s.next(secs(13), secs(14), 0).at, secs(20));
    for (started, ended) in [(0, 1), (10, 95), (7, 7), (33, 61)] {
        let next = s.next(secs(started), secs(ended), 0);
        assert!(next.at >= secs(ended), "never overlaps");
        assert_eq!(next.at.as_secs() % 10, 0, "on a tick");
    }
}

#[test]
fn failures_back_off_from_the_end_of_the_cycle() {
    let s = Schedule::new(secs(60));
    assert_eq!(s.next(secs(0), secs(2), 1).at, secs(7));
    assert_eq!(s.next(secs(7), secs(8), 2).at, secs(18));
    assert_eq!(s.next(secs(100), secs(101), 30).at, secs(161));
}

#[test]
fn durations_parse_with_units() {
    let ok = [
        ("30s", secs(30)),
        ("5m", secs(300)),
        ("1h", secs(3600)),
        ("1h30m", secs(5400)),
        ("2d", secs(172_800)),
        ("500ms", Duration::from_millis(500)),
        (" 1m30s ", secs(90)),
    ];
    for (text, expected) in ok {
        assert_eq!(parse_duration(text), Ok(expected), "{text}");
    }
    for bad in [
        "",
        "5",
        "m",
        "5x",
        "0s",
        "-5s",
        "5 m",
        "1.5m",
        "99999999999999999999s",
        "5mm",
    ] {
        assert!(parse_duration(bad).is_err(), "accepted {bad:?}");
    }
    assert!(parse_duration("5").unwrap_err().contains("needs a unit"));
}
