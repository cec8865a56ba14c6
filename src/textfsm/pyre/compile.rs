//! Turns a pattern tree into a flat program for the backtracking matcher in `vm.rs`.

use super::ast::{Assertion, Node, RepeatMode};
use super::charset::CharSet;

/// What a single-character repeat (`\s+`, `.*`, `[a-z]{2,5}`) repeats.
#[derive(Debug, Clone)]
pub(crate) enum One {
    Char(char),
    Set(Box<CharSet>),
    /// `.` without `(?s)`: anything but `\n`.
    Any,
    /// `.` with `(?s)`.
    AnyAll,
}

/// One instruction. Jump targets are indexes into the program.
#[derive(Debug, Clone)]
pub(crate) enum Inst {
    /// A run of literal text, compared byte for byte.
    Str(Box<str>),
    One(One),
    Assert(Assertion),
    /// Records the position in a capture slot (restored on backtracking).
    Save(usize),
    /// Tries `next` first and, if that fails, `alt`.
    Split {
        next: usize,
        alt: usize,
    },
    Jmp(usize),
    /// Repeats a single-character item without a frame per iteration. `max == u32::MAX` is
    /// unbounded. Continues at the next instruction.
    Repeat {
        one: One,
        min: u32,
        max: u32,
        mode: RepeatMode,
        /// First byte of the literal that follows, if one does: a greedy repeat only gives
        /// back down to positions where it could match.
        next_byte: Option<u8>,
    },
    /// Starts a general repeat: resets its counter, then goes to the `Check` at `check`.
    RepStart {
        reg: usize,
        check: usize,
    },
    /// Decides between another iteration of `body` and leaving to `exit`, as CPython's
    /// MAX_UNTIL / MIN_UNTIL do (including their stop on an empty iteration).
    RepCheck {
        reg: usize,
        min: u32,
        max: u32,
        lazy: bool,
        body: usize,
        exit: usize,
    },
    /// Runs `body` (ending in `Match`) as a sub-match at this position (ahead) or `width`
    /// characters before it (behind), then continues at `next` without moving.
    Look {
        behind: bool,
        negate: bool,
        width: usize,
        body: usize,
        next: usize,
    },
    /// Runs `body` once, keeps its first success and continues at `next` from its end.
    Atomic {
        body: usize,
        next: usize,
    },
    Backref {
        group: usize,
        icase: bool,
    },
    /// Goes to `yes` if the group has matched, else to `no`.
    Cond {
        group: usize,
        yes: usize,
        no: usize,
    },
    Match,
}

/// A compiled program plus what the matcher must allocate for it.
pub(crate) struct Program {
    pub insts: Vec<Inst>,
    pub regs: usize,
}

/// Compiles `node` so that a successful run ends in `Match`.
pub(crate) fn compile(node: &Node, size_hint: usize) -> Program {
    let mut c = Compiler {
        insts: Vec::with_capacity(size_hint),
        regs: 0,
        pending: String::new(),
    };
    c.node(node);
    c.push(Inst::Match);
    let mut insts = c.insts;
    tune_repeats(&mut insts);
    Program {
        insts,
        regs: c.regs,
    }
}

/// What the instruction after a repeat must start with, when that is known.
enum Next<'a> {
    One(&'a One),
    Char(char),
    /// Only the end of the text (`\Z`): giving characters back can never help.
    End,
}

/// Speeds up greedy single-character repeats without changing any match: when what follows
/// cannot start with a character the repeat consumed (`\S+\s+`, `\d+\.`), giving characters
/// back cannot succeed, so the repeat becomes possessive; when a literal follows, the repeat
/// gives back only down to where that literal could start.
fn tune_repeats(insts: &mut [Inst]) {
    for i in 0..insts.len() {
        let Inst::Repeat {
            one,
            mode: RepeatMode::Greedy,
            ..
        } = &insts[i]
        else {
            continue;
        };
        let Some(j) = (i + 1..insts.len()).find(|&j| !matches!(insts[j], Inst::Save(_))) else {
            continue;
        };
        let next = match &insts[j] {
            Inst::Str(s) => s.chars().next().map(Next::Char),
            Inst::One(o) => Some(Next::One(o)),
            Inst::Repeat { one, min, .. } if *min > 0 => Some(Next::One(one)),
            Inst::Assert(Assertion::End { multiline: false }) => Some(Next::Char('\n')),
            Inst::Assert(Assertion::EndText) => Some(Next::End),
            _ => None,
        };
        let possessive = match next {
            Some(Next::End) => true,
            Some(Next::Char(c)) => !one.may_match(c),
            Some(Next::One(other)) => one.disjoint(other),
            None => false,
        };
        let next_byte = match &insts[j] {
            Inst::Str(s) => s.as_bytes().first().copied(),
            _ => None,
        };
        if let Inst::Repeat {
            mode,
            next_byte: nb,
            ..
        } = &mut insts[i]
        {
            if possessive {
                *mode = RepeatMode::Possessive;
            }
            *nb = next_byte;
        }
    }
}

impl One {
    /// Whether the item can match `c`.
    pub(crate) fn may_match(&self, c: char) -> bool {
        match self {
            One::Char(x) => *x == c,
            One::Set(set) => set.contains(c),
            One::Any => c != '\n',
            One::AnyAll => true,
        }
    }

    /// Whether no character matches both items (false when unsure).
    fn disjoint(&self, other: &One) -> bool {
        match (self, other) {
            (One::Char(c), o) | (o, One::Char(c)) => !o.may_match(*c),
            (One::Set(a), One::Set(b)) => a.disjoint(b),
            _ => false,
        }
    }
}

struct Compiler {
    insts: Vec<Inst>,
    regs: usize,
    /// Literal text not yet emitted: consecutive characters become one `Str`.
    pending: String,
}

/// The single-character item a node stands for, if it is one (Python's `_simple`).
fn as_one(node: &Node) -> Option<One> {
    match node {
        Node::Char { c, icase: false } => Some(One::Char(*c)),
        Node::Char { c, icase: true } => {
            let set = CharSet::folded_char(*c);
            Some(match set.single_char() {
                Some(c) => One::Char(c),
                None => One::Set(Box::new(set)),
            })
        }
        Node::Any { dotall: false } => Some(One::Any),
        Node::Any { dotall: true } => Some(One::AnyAll),
        Node::Set(set) => Some(One::Set(Box::new(CharSet::new(set)))),
        Node::Group(inner) => as_one(inner),
        _ => None,
    }
}

impl Compiler {
    /// Emits the pending literal text.
    fn flush(&mut self) {
        if !self.pending.is_empty() {
            let text: Box<str> = self.pending.as_str().into();
            self.pending.clear();
            self.insts.push(Inst::Str(text));
        }
    }

    /// Index of the next instruction (pending literal text emitted first).
    fn pc(&mut self) -> usize {
        self.flush();
        self.insts.len()
    }

    /// The current position as a jump target: literal text after it starts a new run.
    fn target(&mut self) -> usize {
        self.pc()
    }

    fn push(&mut self, inst: Inst) {
        self.flush();
        self.insts.push(inst);
    }

    fn patch(&mut self, at: usize, target: usize) {
        match &mut self.insts[at] {
            Inst::Split { alt, .. } => *alt = target,
            Inst::Jmp(t) => *t = target,
            Inst::RepCheck { exit, .. } => *exit = target,
            Inst::Look { next, .. } | Inst::Atomic { next, .. } => *next = target,
            Inst::Cond { no, .. } => *no = target,
            _ => {}
        }
    }

    fn node(&mut self, node: &Node) {
        match node {
            Node::Empty => {}
            Node::Char { c, icase: false } => self.literal(*c),
            Node::Char { .. } | Node::Any { .. } | Node::Set(_) => {
                if let Some(one) = as_one(node) {
                    match one {
                        One::Char(c) => self.literal(c),
                        one => self.push(Inst::One(one)),
                    }
                }
            }
            Node::Assert(a) => self.push(Inst::Assert(*a)),
            Node::Group(inner) => self.node(inner),
            Node::Capture { index, node } => {
                self.push(Inst::Save(2 * index));
                self.node(node);
                self.push(Inst::Save(2 * index + 1));
            }
            Node::Concat(items) => items.iter().for_each(|n| self.node(n)),
            Node::Alt(branches) => {
                let mut jumps = Vec::new();
                for (i, b) in branches.iter().enumerate() {
                    if i + 1 < branches.len() {
                        let split = self.pc();
                        self.push(Inst::Split {
                            next: split + 1,
                            alt: 0,
                        });
                        self.node(b);
                        jumps.push(self.pc());
                        self.push(Inst::Jmp(0));
                        let here = self.target();
                        self.patch(split, here);
                    } else {
                        self.node(b);
                    }
                }
                let end = self.target();
                for j in jumps {
                    self.patch(j, end);
                }
            }
            Node::Repeat {
                node,
                min,
                max,
                mode,
            } => self.repeat(node, *min, *max, *mode),
            Node::Look {
                behind,
                negate,
                width,
                node,
            } => {
                let at = self.pc();
                self.push(Inst::Look {
                    behind: *behind,
                    negate: *negate,
                    width: *width,
                    body: at + 1,
                    next: 0,
                });
                self.node(node);
                self.push(Inst::Match);
                let end = self.target();
                self.patch(at, end);
            }
            Node::Atomic(inner) => self.atomic(|c| c.node(inner)),
            Node::Backref { group, icase } => self.push(Inst::Backref {
                group: *group,
                icase: *icase,
            }),
            Node::Cond { group, yes, no } => {
                let at = self.pc();
                self.push(Inst::Cond {
                    group: *group,
                    yes: at + 1,
                    no: 0,
                });
                self.node(yes);
                let jump = self.pc();
                self.push(Inst::Jmp(0));
                let no_at = self.target();
                self.patch(at, no_at);
                self.node(no);
                let end = self.target();
                self.patch(jump, end);
            }
        }
    }

    /// Appends a literal character to the pending run.
    fn literal(&mut self, c: char) {
        self.pending.push(c);
    }

    fn atomic(&mut self, body: impl FnOnce(&mut Compiler)) {
        let at = self.pc();
        self.push(Inst::Atomic {
            body: at + 1,
            next: 0,
        });
        body(self);
        self.push(Inst::Match);
        let end = self.target();
        self.patch(at, end);
    }

    fn repeat(&mut self, node: &Node, min: u32, max: Option<u32>, mode: RepeatMode) {
        let max = max.unwrap_or(u32::MAX);
        if let Some(one) = as_one(node) {
            self.push(Inst::Repeat {
                one,
                min,
                max,
                mode,
                next_byte: None,
            });
            return;
        }
        if mode == RepeatMode::Possessive {
            self.atomic(|c| c.general_repeat(node, min, max, false));
        } else {
            self.general_repeat(node, min, max, mode == RepeatMode::Lazy);
        }
    }

    fn general_repeat(&mut self, node: &Node, min: u32, max: u32, lazy: bool) {
        let reg = self.regs;
        self.regs += 1;
        let start = self.pc();
        self.push(Inst::RepStart {
            reg,
            check: start + 1,
        });
        let check = self.pc();
        self.push(Inst::RepCheck {
            reg,
            min,
            max,
            lazy,
            body: check + 1,
            exit: 0,
        });
        self.node(node);
        self.push(Inst::Jmp(check));
        let exit = self.target();
        self.patch(check, exit);
    }
}
