//! What [`Filter::matches`](super::Filter::matches) runs: a filter flattened into a list of
//! tests, each with where to go when it holds and when it does not.
//!
//! `and`, `or` and `not` become control flow instead of nodes: in `a and b`, `a` goes on to `b`
//! when it holds and ends with false when it does not; `not a` swaps `a`'s two exits. Evaluating
//! is then one loop over tests, with no recursion and no call per node, and short-circuits
//! exactly as the tree does (left to right, stopping as soon as the result is known). `xor`,
//! which needs every operand, stays one test that evaluates its subtree.
//!
//! A [`Builder`] assembles the list from [`Fragment`]s as an expression is read (`direct`) or a
//! compiled tree is walked ([`Program::from_node`]): tests are added left to right, and the exits
//! still open are kept as lists threaded through the tests themselves, patched once their target
//! is known, so building allocates nothing but the list.

use super::compiled::Node;
use super::eval::Context;
use super::prepared::Fields;

/// Where to go after a test: the next test's index, or the result.
type Target = u32;
const TRUE: Target = u32::MAX;
const FALSE: Target = u32::MAX - 1;
/// The end of a list of open exits.
const NIL: u32 = u32::MAX - 2;

/// A flattened filter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Program {
    tests: Vec<Test>,
    entry: Target,
}

#[derive(Debug, Clone, PartialEq)]
struct Test {
    /// A comparison, a Boolean field, or an `xor` or tree-walked subtree.
    node: Node,
    /// While building, an open exit holds the next open exit of its list (see [`Exits`]).
    on_true: Target,
    on_false: Target,
}

impl Program {
    /// Flattens a compiled tree.
    pub(crate) fn from_node(node: Node) -> Program {
        let mut builder = Builder::default();
        let fragment = builder.node(node);
        builder.finish(fragment)
    }

    /// Does the filter hold for the request whose fields `fields` gives?
    #[inline]
    pub(crate) fn eval<F: Fields>(&self, fields: &F, ctx: &Context<'_>) -> bool {
        let mut at = self.entry;
        // TRUE and FALSE are past the end.
        while let Some(test) = self.tests.get(at as usize) {
            at = if test.node.leaf(fields, ctx) {
                test.on_true
            } else {
                test.on_false
            };
        }
        at == TRUE
    }
}

/// Part of a filter being built: a constant, or tests with an entry and open exits.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fragment {
    Const(bool),
    Tests {
        entry: Target,
        on_true: Exits,
        on_false: Exits,
    },
}

/// A list of open exits, each the `on_true` (even link) or `on_false` (odd link) of a test;
/// each open exit holds the link of the next, the last holds `NIL`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Exits {
    head: u32,
    tail: u32,
}

/// Builds a [`Program`] (see the module documentation).
#[derive(Debug, Default)]
pub(crate) struct Builder {
    tests: Vec<Test>,
}

impl Builder {
    /// A test of a node that is not `and`, `or` or `not` (a comparison, a Boolean field, `xor`).
    pub(crate) fn test(&mut self, node: Node) -> Fragment {
        // Links are twice an index: fewer tests than that are a text of gigabytes.
        let index = self.tests.len() as u32;
        self.tests.push(Test {
            node,
            on_true: NIL,
            on_false: NIL,
        });
        let (t, f) = (index * 2, index * 2 + 1);
        Fragment::Tests {
            entry: index,
            on_true: Exits { head: t, tail: t },
            on_false: Exits { head: f, tail: f },
        }
    }

    /// `not a`.
    pub(crate) fn not(&mut self, a: Fragment) -> Fragment {
        match a {
            Fragment::Const(b) => Fragment::Const(!b),
            Fragment::Tests {
                entry,
                on_true,
                on_false,
            } => Fragment::Tests {
                entry,
                on_true: on_false,
                on_false: on_true,
            },
        }
    }

    /// `a and b`.
    pub(crate) fn and(&mut self, a: Fragment, b: Fragment) -> Fragment {
        self.join(a, b, true)
    }

    /// `a or b`.
    pub(crate) fn or(&mut self, a: Fragment, b: Fragment) -> Fragment {
        self.join(a, b, false)
    }

    /// `a and b` (`and_`) or `a or b`: `a`'s exits with the value that lets `b` decide go to
    /// `b`; the others, which decide, join `b`'s.
    fn join(&mut self, a: Fragment, b: Fragment, and_: bool) -> Fragment {
        // The value that decides `a op b` on its own: false for `and`, true for `or`.
        let decides = !and_;
        match (a, b) {
            (Fragment::Const(v), _) if v == decides => Fragment::Const(v),
            (Fragment::Const(_), b) => b,
            (_, Fragment::Const(v)) if v == decides => Fragment::Const(v),
            (a, Fragment::Const(_)) => a,
            (
                Fragment::Tests {
                    entry,
                    on_true: a_true,
                    on_false: a_false,
                },
                Fragment::Tests {
                    entry: b_entry,
                    on_true: b_true,
                    on_false: b_false,
                },
            ) => {
                if and_ {
                    self.patch(a_true, b_entry);
                    Fragment::Tests {
                        entry,
                        on_true: b_true,
                        on_false: self.concat(a_false, b_false),
                    }
                } else {
                    self.patch(a_false, b_entry);
                    Fragment::Tests {
                        entry,
                        on_true: self.concat(a_true, b_true),
                        on_false: b_false,
                    }
                }
            }
        }
    }

    /// The program of a whole filter.
    pub(crate) fn finish(mut self, fragment: Fragment) -> Program {
        let entry = match fragment {
            Fragment::Const(b) => {
                if b {
                    TRUE
                } else {
                    FALSE
                }
            }
            Fragment::Tests {
                entry,
                on_true,
                on_false,
            } => {
                self.patch(on_true, TRUE);
                self.patch(on_false, FALSE);
                entry
            }
        };
        Program {
            tests: self.tests,
            entry,
        }
    }

    /// The fragment of a compiled tree.
    fn node(&mut self, node: Node) -> Fragment {
        match node {
            Node::Const(b) => Fragment::Const(b),
            Node::Not(inner) => {
                let inner = self.node(*inner);
                self.not(inner)
            }
            Node::And(items) => self.all(items, true),
            Node::Or(items) => self.all(items, false),
            node => self.test(node),
        }
    }

    /// The operands of an n-ary `and` (`and_`) or `or`, joined left to right.
    fn all(&mut self, items: Vec<Node>, and_: bool) -> Fragment {
        let mut joined: Option<Fragment> = None;
        for item in items {
            let next = self.node(item);
            joined = Some(match joined {
                None => next,
                Some(prev) => self.join(prev, next, and_),
            });
        }
        // The parser makes no empty `and`/`or`; an empty one is its operator's identity.
        joined.unwrap_or(Fragment::Const(and_))
    }

    fn exit(&mut self, link: u32) -> &mut Target {
        let test = &mut self.tests[(link / 2) as usize];
        if link % 2 == 0 {
            &mut test.on_true
        } else {
            &mut test.on_false
        }
    }

    /// Points every exit of a list at `target`.
    fn patch(&mut self, exits: Exits, target: Target) {
        let mut link = exits.head;
        while link != NIL {
            let exit = self.exit(link);
            link = *exit;
            *exit = target;
        }
    }

    /// Both lists as one.
    fn concat(&mut self, a: Exits, b: Exits) -> Exits {
        if a.head == NIL {
            return b;
        }
        if b.head == NIL {
            return a;
        }
        *self.exit(a.tail) = b.head;
        Exits {
            head: a.head,
            tail: b.tail,
        }
    }
}

/// Operands joined by `and`, `or` (not `xor`) with `and` binding tighter, combined as they are
/// read: the open `and` run and the `or` of the runs before it.
#[derive(Debug, Default)]
pub(crate) struct Sequence {
    and: Option<Fragment>,
    or: Option<Fragment>,
}

impl Sequence {
    /// `operand` followed by `and` (`and_`) or `or`.
    pub(crate) fn push(&mut self, builder: &mut Builder, operand: Fragment, and_: bool) {
        let run = match self.and.take() {
            Some(run) => builder.and(run, operand),
            None => operand,
        };
        if and_ {
            self.and = Some(run);
        } else {
            self.or = Some(match self.or.take() {
                Some(or) => builder.or(or, run),
                None => run,
            });
        }
    }

    /// The whole sequence, `last` being its last operand.
    pub(crate) fn finish(mut self, builder: &mut Builder, last: Fragment) -> Fragment {
        let run = match self.and.take() {
            Some(run) => builder.and(run, last),
            None => last,
        };
        match self.or {
            Some(or) => builder.or(or, run),
            None => run,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{parse_filter, Lists, Request};

    fn program(text: &str) -> Program {
        parse_filter(text).unwrap().program
    }

    #[test]
    fn and_or_not_become_exits() {
        // `a and b`: a goes on to b or ends false.
        let p = program("ssl and cf.client.bot");
        assert_eq!(p.entry, 0);
        assert_eq!((p.tests[0].on_true, p.tests[0].on_false), (1, FALSE));
        assert_eq!((p.tests[1].on_true, p.tests[1].on_false), (TRUE, FALSE));
        // `not (a or b)`: the exits swapped.
        let p = program("not (ssl or cf.client.bot)");
        assert_eq!((p.tests[0].on_true, p.tests[0].on_false), (FALSE, 1));
        assert_eq!((p.tests[1].on_true, p.tests[1].on_false), (FALSE, TRUE));
        // Constants fold away.
        assert_eq!(program("true or ssl").entry, TRUE);
        assert_eq!(program("ssl and false").entry, FALSE);
        assert_eq!(program("true and ssl").tests.len(), 1);
    }

    #[test]
    fn short_circuits_left_to_right() {
        let request = Request {
            waf_score: 10,
            ..Request::default()
        };
        for (text, expected) in [
            ("cf.waf.score lt 20 and (ssl or cf.client.bot)", true),
            ("cf.waf.score gt 20 or not ssl", false),
            ("cf.waf.score gt 20 or ssl and not cf.client.bot", true),
            (
                "(cf.waf.score gt 20 or ssl) and (cf.client.bot or cf.waf.score eq 10)",
                true,
            ),
            ("not (not ssl and not cf.client.bot)", true),
        ] {
            let filter = parse_filter(text).unwrap();
            assert_eq!(
                filter.matches(&request, &Lists::default()),
                expected,
                "{text}"
            );
            assert_eq!(
                filter.matches_by_tree(&request, &Lists::default()),
                expected,
                "{text}"
            );
        }
    }
}
