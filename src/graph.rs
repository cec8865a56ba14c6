//! Cycles in a graph of named nodes (groups and their parents, tasks and their subtasks),
//! found by one depth-first walk that keeps its own stack.
//!
//! A valid graph may be as deep as its files are long (a chain of 100,000 groups is a few
//! megabytes of YAML); a recursive walk would overflow the thread's stack long before that.

use std::collections::{HashMap, HashSet};

/// A cycle longer than this is shown with its middle left out.
const SHOWN: usize = 20;

/// The edges of a graph that close a cycle, each able to spell its cycle out.
#[derive(Debug, Default)]
pub struct Cycles {
    /// The nodes, by index.
    names: Vec<String>,
    /// Index of each node.
    by_name: HashMap<String, usize>,
    /// (from, to) edges that close a cycle.
    closing: HashSet<(usize, usize)>,
    /// The node each node was first reached from (`None` for where a walk started): from the
    /// start of a closing edge, it leads back to the edge's end along the path the walk was
    /// on, which spells the cycle out without storing it for every closing edge.
    via: Vec<Option<usize>>,
}

impl Cycles {
    /// Walks from each node in order, its edges in order; an edge to a node still on the
    /// walk's path closes a cycle. `edges[i]` are the indices node `i` points to.
    pub fn find(names: Vec<String>, edges: &[Vec<usize>]) -> Cycles {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            OnPath,
            Done,
        }
        let by_name = names
            .iter()
            .enumerate()
            .map(|(i, name)| (name.clone(), i))
            .collect();
        let count = names.len();
        let mut marks = vec![Mark::New; count];
        let mut via = vec![None; count];
        let mut closing = HashSet::new();
        // Each frame: a node on the path and how many of its edges were followed.
        let mut path: Vec<(usize, usize)> = Vec::new();
        for start in 0..count {
            if marks[start] != Mark::New {
                continue;
            }
            marks[start] = Mark::OnPath;
            path.push((start, 0));
            while let Some(frame) = path.last_mut() {
                let (node, next) = *frame;
                let Some(&to) = edges.get(node).and_then(|e| e.get(next)) else {
                    marks[node] = Mark::Done;
                    path.pop();
                    continue;
                };
                frame.1 += 1;
                match marks.get(to) {
                    Some(Mark::OnPath) => {
                        closing.insert((node, to));
                    }
                    Some(Mark::New) => {
                        marks[to] = Mark::OnPath;
                        via[to] = Some(node);
                        path.push((to, 0));
                    }
                    Some(Mark::Done) | None => {}
                }
            }
        }
        Cycles {
            names,
            by_name,
            closing,
            via,
        }
    }

    /// The index of node `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// The cycle that the edge `from → to` closes, spelled out (`a → b → c → a`); a long one
    /// keeps its first and last names and says how many it leaves out.
    pub fn closed_by(&self, from: &str, to: &str) -> Option<String> {
        let (from, to) = (self.index(from)?, self.index(to)?);
        if !self.closing.contains(&(from, to)) {
            return None;
        }
        let mut ring = vec![from];
        let mut at = from;
        while at != to {
            at = self.via[at]?;
            ring.push(at);
        }
        ring.reverse();
        ring.push(to);
        let names: Vec<&str> = ring.iter().map(|&i| self.names[i].as_str()).collect();
        if names.len() <= SHOWN {
            return Some(names.join(" → "));
        }
        let half = SHOWN / 2;
        Some(format!(
            "{} → … {} more … → {}",
            names[..half].join(" → "),
            names.len() - 2 * half,
            names[names.len() - half..].join(" → ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cycles(edges: &[(&str, &[&str])]) -> Cycles {
        let names: Vec<String> = edges.iter().map(|(n, _)| n.to_string()).collect();
        let index = |n: &str| names.iter().position(|m| m == n);
        let lists: Vec<Vec<usize>> = edges
            .iter()
            .map(|(_, to)| to.iter().filter_map(|t| index(t)).collect())
            .collect();
        Cycles::find(names.clone(), &lists)
    }

    #[test]
    fn the_edge_that_closes_a_cycle_spells_it_out() {
        let c = cycles(&[("a", &["b"]), ("b", &["c", "x"]), ("c", &["a"]), ("x", &[])]);
        assert_eq!(c.closed_by("c", "a").as_deref(), Some("a → b → c → a"));
        assert_eq!(c.closed_by("a", "b"), None);
        assert_eq!(c.closed_by("b", "x"), None);
        let own = cycles(&[("a", &["a"])]);
        assert_eq!(own.closed_by("a", "a").as_deref(), Some("a → a"));
    }

    #[test]
    fn a_cycle_at_the_end_of_a_long_chain_is_found_and_shortened() {
        let n = 200_000;
        let names: Vec<String> = (0..n).map(|i| format!("g{i}")).collect();
        let mut edges: Vec<Vec<usize>> = (0..n).map(|i| vec![i + 1]).collect();
        edges[n - 1] = vec![n - 3];
        let c = Cycles::find(names, &edges);
        let last = format!("g{}", n - 1);
        let third = format!("g{}", n - 3);
        assert_eq!(
            c.closed_by(&last, &third).as_deref(),
            Some("g199997 → g199998 → g199999 → g199997")
        );
        edges = (0..n).map(|i| vec![(i + 1) % n]).collect();
        let c = Cycles::find((0..n).map(|i| format!("g{i}")).collect(), &edges);
        let spelled = c.closed_by(&last, "g0").expect("a cycle");
        assert!(
            spelled.starts_with("g0 → g1 → ") && spelled.ends_with("→ g199999 → g0"),
            "{spelled}"
        );
        assert!(spelled.contains("… 199981 more …"), "{spelled}");
    }
}
