//! Rollouts: hosts in batches that each finish before the next starts (`--serial`), a failure
//! budget that stops starting hosts (`--max-fail`), and a limit on hosts in flight that share a
//! value of a key (`--max-per site=1`: never both routers of a site at once).

use std::collections::HashMap;
use std::str::FromStr;

/// Why a rollout option cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RolloutError {
    /// Not `N` or `N%`.
    #[error("`{0}` is not a number of hosts (3) or a percentage of them (25%) above zero")]
    BadShare(String),
    /// Not `KEY=N`.
    #[error("`{0}` is not KEY=N with N above zero (e.g. site=1)")]
    BadMaxPer(String),
}

/// A number of hosts, or a percentage of the selected hosts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Share {
    /// This many hosts.
    Hosts(usize),
    /// This percentage of the hosts.
    Percent(u32),
}

impl FromStr for Share {
    type Err = RolloutError;
    fn from_str(text: &str) -> Result<Share, RolloutError> {
        let bad = || RolloutError::BadShare(text.to_string());
        let share = match text.trim().strip_suffix('%') {
            Some(p) => Share::Percent(p.trim().parse().map_err(|_| bad())?),
            None => Share::Hosts(text.trim().parse().map_err(|_| bad())?),
        };
        match share {
            Share::Hosts(0) | Share::Percent(0) => Err(bad()),
            Share::Percent(p) if p > 100 => Err(bad()),
            ok => Ok(ok),
        }
    }
}

impl Share {
    /// How many of `total` hosts: a percentage rounds up (10% of 5 hosts is 1), and is never
    /// more than `total` nor less than one.
    pub fn of(self, total: usize) -> usize {
        let n = match self {
            Share::Hosts(n) => n,
            Share::Percent(p) => (total * p as usize).div_ceil(100),
        };
        n.clamp(1, total.max(1))
    }
}

/// `--max-per KEY=N`: the key, the limit, and each job's values of the key (job order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaxPer {
    /// The key as written (`site`, `groups`, `data.pod`).
    pub key: String,
    /// Hosts in flight at once per value.
    pub limit: usize,
    /// Each job's values of the key (several for `groups`, none when unset).
    pub values: Vec<Vec<String>>,
}

impl MaxPer {
    /// Reads `KEY=N`; the values are filled in once the hosts are known.
    pub fn parse(text: &str) -> Result<(String, usize), RolloutError> {
        let bad = || RolloutError::BadMaxPer(text.to_string());
        let (key, n) = text.rsplit_once('=').ok_or_else(bad)?;
        let n: usize = n.trim().parse().map_err(|_| bad())?;
        if key.trim().is_empty() || n == 0 {
            return Err(bad());
        }
        Ok((key.trim().to_string(), n))
    }
}

/// How a run rolls out over its hosts; the default runs them all as one batch.
#[derive(Clone, Debug, Default)]
pub struct Rollout {
    /// Batch sizes in order, the last one repeated (`--serial 1 --serial 10%`).
    pub serial: Vec<Share>,
    /// Stop starting hosts once this many have failed.
    pub max_fail: Option<Share>,
    /// Limits per value of a key.
    pub max_per: Vec<MaxPer>,
}

/// Hosts in flight per (rule, value).
pub(super) type InFlight = HashMap<(usize, String), usize>;

impl Rollout {
    /// The batch sizes for `total` hosts.
    pub fn batches(&self, total: usize) -> Vec<usize> {
        if self.serial.is_empty() {
            return vec![total];
        }
        let mut sizes = Vec::new();
        let mut left = total;
        let mut shares = self.serial.iter();
        let mut share = self.serial[0];
        while left > 0 {
            if let Some(next) = shares.next() {
                share = *next;
            }
            let size = share.of(total).min(left);
            sizes.push(size);
            left -= size;
        }
        sizes
    }

    /// One line saying how `total` hosts will roll out; `None` for a plain run.
    pub fn describe(&self, total: usize) -> Option<String> {
        if self.serial.is_empty() && self.max_fail.is_none() && self.max_per.is_empty() {
            return None;
        }
        let batches = self.batches(total);
        let sizes: Vec<String> = batches.iter().map(usize::to_string).collect();
        let mut line = format!(
            "rollout: {total} host{} in {} batch{} ({})",
            if total == 1 { "" } else { "s" },
            batches.len(),
            if batches.len() == 1 { "" } else { "es" },
            sizes.join(", ")
        );
        if let Some(budget) = self.failure_budget(total) {
            line.push_str(&format!(
                "; no host starts after {budget} failure{}",
                if budget == 1 { "" } else { "s" }
            ));
        }
        for rule in &self.max_per {
            line.push_str(&format!(
                "; at most {} at once per {}",
                rule.limit, rule.key
            ));
        }
        Some(line)
    }

    /// The failures after which no more hosts start.
    pub fn failure_budget(&self, total: usize) -> Option<usize> {
        self.max_fail.map(|s| s.of(total))
    }

    fn keys(&self, job: usize) -> impl Iterator<Item = (usize, &String, usize)> {
        self.max_per.iter().enumerate().flat_map(move |(rule, m)| {
            m.values
                .get(job)
                .into_iter()
                .flatten()
                .map(move |v| (rule, v, m.limit))
        })
    }

    /// Whether job `job` may start with `in_flight` running.
    pub(super) fn fits(&self, job: usize, in_flight: &InFlight) -> bool {
        self.keys(job).all(|(rule, value, limit)| {
            in_flight.get(&(rule, value.clone())).copied().unwrap_or(0) < limit
        })
    }

    /// Counts job `job` in (`started`) or out of `in_flight`.
    pub(super) fn count(&self, job: usize, in_flight: &mut InFlight, started: bool) {
        for (rule, value, _) in self.keys(job) {
            let n = in_flight.entry((rule, value.clone())).or_default();
            *n = if started { *n + 1 } else { n.saturating_sub(1) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(text: &str) -> Share {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn shares_are_counts_or_percentages() {
        assert_eq!(share("3"), Share::Hosts(3));
        assert_eq!(share("25%"), Share::Percent(25));
        for bad in ["0", "0%", "x", "101%", "-1", ""] {
            assert!(bad.parse::<Share>().is_err(), "{bad}");
        }
        assert_eq!(share("10%").of(5), 1);
        assert_eq!(share("50%").of(5), 3);
        assert_eq!(share("100%").of(5), 5);
        assert_eq!(share("9").of(5), 5);
    }

    #[test]
    fn batches_repeat_the_last_size() {
        let rollout = |serial: &[&str]| Rollout {
            serial: serial.iter().map(|s| share(s)).collect(),
            ..Rollout::default()
        };
        assert_eq!(rollout(&[]).batches(7), [7]);
        assert_eq!(rollout(&["2"]).batches(7), [2, 2, 2, 1]);
        assert_eq!(rollout(&["1", "50%", "100%"]).batches(10), [1, 5, 4]);
        assert_eq!(
            rollout(&["1", "10%"]).batches(25),
            [1, 3, 3, 3, 3, 3, 3, 3, 3]
        );
        assert!(rollout(&["2"]).batches(0).is_empty());
        assert_eq!(rollout(&[]).describe(7), None);
        let canary = Rollout {
            max_fail: Some(share("10%")),
            ..rollout(&["1", "50%"])
        };
        assert_eq!(
            canary.describe(7).as_deref(),
            Some("rollout: 7 hosts in 3 batches (1, 4, 2); no host starts after 1 failure")
        );
    }

    #[test]
    fn max_per_limits_hosts_sharing_a_value() {
        assert_eq!(MaxPer::parse("site=1"), Ok(("site".into(), 1)));
        assert!(MaxPer::parse("site=0").is_err());
        assert!(MaxPer::parse("site").is_err());
        let rollout = Rollout {
            max_per: vec![MaxPer {
                key: "site".into(),
                limit: 1,
                values: vec![vec!["earth".into()], vec!["earth".into()], vec![]],
            }],
            ..Rollout::default()
        };
        let mut in_flight = InFlight::new();
        assert!(rollout.fits(0, &in_flight));
        rollout.count(0, &mut in_flight, true);
        assert!(!rollout.fits(1, &in_flight));
        assert!(
            rollout.fits(2, &in_flight),
            "a host without the key is not limited"
        );
        rollout.count(0, &mut in_flight, false);
        assert!(rollout.fits(1, &in_flight));
    }
}
