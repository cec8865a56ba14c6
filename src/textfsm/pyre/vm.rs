//! A backtracking matcher with the same search order as CPython's `sre`, so that the match and
//! the groups it reports are the ones Python reports. Backtracking state lives on a heap stack
//! (never the call stack), so long lines cannot overflow it; only look-around and atomic groups
//! recurse, as deep as they nest in the pattern.

use super::ast::RepeatMode;
use super::compile::Inst;
use super::text::{assert_at, back_chars, backref_at, one_at, prev_start, scan};

/// Marks an unset capture slot or repeat position.
pub(crate) const NONE: usize = usize::MAX;

/// Reusable matcher memory: capture slots, repeat counters and the backtracking stack.
#[derive(Debug, Default)]
pub struct Scratch {
    pub(crate) slots: Vec<usize>,
    regs: Vec<(u32, usize)>,
    stack: Vec<Frame>,
}

#[derive(Debug, Clone, Copy)]
enum Frame {
    /// Resume at `pc` from `pos`.
    Alt { pc: usize, pos: usize },
    /// Undo a capture.
    Slot { slot: usize, old: usize },
    /// Undo a repeat counter change.
    Reg { reg: usize, count: u32, last: usize },
    /// A single-character repeat at `pc` that can give back (greedy) or take (lazy) one more.
    One { pc: usize, pos: usize, count: u32 },
    /// A lazy general repeat at `pc` that may still try one more iteration from `pos`.
    More { pc: usize, pos: usize },
}

impl Scratch {
    /// Prepares for a match of a program with `slots` capture slots and `regs` repeat counters.
    pub(crate) fn reset(&mut self, slots: usize, regs: usize) {
        self.slots.clear();
        self.slots.resize(slots, NONE);
        self.regs.clear();
        self.regs.resize(regs, (0, NONE));
        self.stack.clear();
    }

    /// Pops frames above `base`, undoing captures and counters.
    fn unwind(&mut self, base: usize) {
        while self.stack.len() > base {
            match self.stack.pop() {
                Some(Frame::Slot { slot, old }) => self.slots[slot] = old,
                Some(Frame::Reg { reg, count, last }) => self.regs[reg] = (count, last),
                _ => {}
            }
        }
    }

    /// Drops the choice points above `base` but keeps the undo records, so that a committed
    /// sub-match (look-ahead, atomic group) keeps its captures until something before it fails.
    fn commit(&mut self, base: usize) {
        let mut w = base;
        for r in base..self.stack.len() {
            let f = self.stack[r];
            if matches!(f, Frame::Slot { .. } | Frame::Reg { .. }) {
                self.stack[w] = f;
                w += 1;
            }
        }
        self.stack.truncate(w);
    }
}

fn group_span(s: &Scratch, group: usize) -> Option<(usize, usize)> {
    let (start, end) = (*s.slots.get(2 * group)?, *s.slots.get(2 * group + 1)?);
    (start != NONE && end != NONE && start <= end).then_some((start, end))
}

/// Runs `prog` from `pc` at byte `pos`; returns where the first success (`Match`) ended.
/// On success the frames it pushed stay on the stack for the caller to commit or unwind; on
/// failure they are gone and everything they changed is undone.
pub(crate) fn run(
    prog: &[Inst],
    text: &str,
    pc: usize,
    pos: usize,
    s: &mut Scratch,
) -> Option<usize> {
    let bytes = text.as_bytes();
    let base = s.stack.len();
    let (mut pc, mut pos) = (pc, pos);
    loop {
        let ok = match &prog[pc] {
            Inst::Str(lit) => {
                let lit = lit.as_bytes();
                // Most literals fail on their first byte; skip the slice comparison then.
                let ok = bytes.get(pos) == lit.first() && bytes[pos..].starts_with(lit);
                if ok {
                    pos += lit.len();
                    pc += 1;
                }
                ok
            }
            Inst::One(one) => match one_at(one, bytes, pos) {
                Some(len) => {
                    pos += len;
                    pc += 1;
                    true
                }
                None => false,
            },
            Inst::Assert(a) => {
                pc += 1;
                assert_at(*a, bytes, pos)
            }
            Inst::Save(slot) => {
                s.stack.push(Frame::Slot {
                    slot: *slot,
                    old: s.slots[*slot],
                });
                s.slots[*slot] = pos;
                pc += 1;
                true
            }
            Inst::Split { next, alt } => {
                s.stack.push(Frame::Alt { pc: *alt, pos });
                pc = *next;
                true
            }
            Inst::Jmp(target) => {
                pc = *target;
                true
            }
            Inst::Repeat {
                one,
                min,
                max,
                mode,
                ..
            } => {
                let target = if *mode == RepeatMode::Lazy {
                    *min
                } else {
                    *max
                };
                let (end, count) = scan(one, bytes, pos, target);
                pos = end;
                let ok = count >= *min;
                if ok {
                    let more = match mode {
                        RepeatMode::Greedy => count > *min,
                        RepeatMode::Lazy => count < *max,
                        RepeatMode::Possessive => false,
                    };
                    if more {
                        s.stack.push(Frame::One { pc, pos, count });
                    }
                    pc += 1;
                }
                ok
            }
            Inst::RepStart { reg, check } => {
                let (count, last) = s.regs[*reg];
                s.stack.push(Frame::Reg {
                    reg: *reg,
                    count,
                    last,
                });
                s.regs[*reg] = (0, NONE);
                pc = *check;
                true
            }
            Inst::RepCheck {
                reg,
                min,
                max,
                lazy,
                body,
                exit,
            } => {
                let (k, last) = s.regs[*reg];
                if k < *min {
                    s.stack.push(Frame::Reg {
                        reg: *reg,
                        count: k,
                        last,
                    });
                    s.regs[*reg] = (k + 1, last);
                    pc = *body;
                } else if *lazy {
                    s.stack.push(Frame::More { pc, pos });
                    pc = *exit;
                } else if k < *max && pos != last {
                    s.stack.push(Frame::Alt { pc: *exit, pos });
                    s.stack.push(Frame::Reg {
                        reg: *reg,
                        count: k,
                        last,
                    });
                    s.regs[*reg] = (k + 1, pos);
                    pc = *body;
                } else {
                    pc = *exit;
                }
                true
            }
            Inst::Look {
                behind,
                negate,
                width,
                body,
                next,
            } => {
                let start = if *behind {
                    back_chars(bytes, pos, *width)
                } else {
                    Some(pos)
                };
                let sub = s.stack.len();
                let found = start.and_then(|st| run(prog, text, *body, st, s)).is_some();
                if found {
                    if *negate {
                        s.unwind(sub);
                    } else {
                        s.commit(sub);
                    }
                }
                let ok = found != *negate;
                if ok {
                    pc = *next;
                }
                ok
            }
            Inst::Atomic { body, next } => {
                let sub = s.stack.len();
                match run(prog, text, *body, pos, s) {
                    Some(end) => {
                        s.commit(sub);
                        pos = end;
                        pc = *next;
                        true
                    }
                    None => false,
                }
            }
            Inst::Backref { group, icase } => {
                match group_span(s, *group).and_then(|span| backref_at(bytes, pos, span, *icase)) {
                    Some(len) => {
                        pos += len;
                        pc += 1;
                        true
                    }
                    None => false,
                }
            }
            Inst::Cond { group, yes, no } => {
                pc = if group_span(s, *group).is_some() {
                    *yes
                } else {
                    *no
                };
                true
            }
            Inst::Match => return Some(pos),
        };
        if ok {
            continue;
        }
        // Backtrack to the most recent choice point, undoing changes on the way.
        loop {
            if s.stack.len() <= base {
                return None;
            }
            let frame = s.stack.pop()?;
            match frame {
                Frame::Alt { pc: p, pos: q } => {
                    pc = p;
                    pos = q;
                    break;
                }
                Frame::Slot { slot, old } => s.slots[slot] = old,
                Frame::Reg { reg, count, last } => s.regs[reg] = (count, last),
                Frame::More { pc: p, pos: q } => {
                    let Inst::RepCheck { reg, max, body, .. } = prog[p] else {
                        continue;
                    };
                    let (k, last) = s.regs[reg];
                    if k >= max || q == last {
                        continue;
                    }
                    s.stack.push(Frame::Reg {
                        reg,
                        count: k,
                        last,
                    });
                    s.regs[reg] = (k + 1, q);
                    pc = body;
                    pos = q;
                    break;
                }
                Frame::One {
                    pc: p,
                    pos: q,
                    count,
                } => {
                    let Inst::Repeat {
                        one,
                        min,
                        max,
                        mode,
                        next_byte,
                    } = &prog[p]
                    else {
                        continue;
                    };
                    if *mode == RepeatMode::Lazy {
                        let Some(len) = one_at(one, bytes, q) else {
                            continue;
                        };
                        let count = count + 1;
                        if count < *max {
                            s.stack.push(Frame::One {
                                pc: p,
                                pos: q + len,
                                count,
                            });
                        }
                        pc = p + 1;
                        pos = q + len;
                    } else {
                        // Give back characters down to where the following literal could start.
                        let (mut back, mut count) = (q, count);
                        loop {
                            back = prev_start(bytes, back);
                            count -= 1;
                            if count == *min
                                || next_byte.is_none_or(|b| bytes.get(back) == Some(&b))
                            {
                                break;
                            }
                        }
                        if count > *min {
                            s.stack.push(Frame::One {
                                pc: p,
                                pos: back,
                                count,
                            });
                        }
                        pc = p + 1;
                        pos = back;
                    }
                    break;
                }
            }
        }
    }
}
