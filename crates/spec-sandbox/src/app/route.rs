//! Stage 1 of a request: which spec and operation a method and path belong to (literal
//! segments win over templates), and the path parameters they carry.

use super::*;

impl App {
    pub(super) fn route<'a, 'p>(&'a self, method: &Method, path: &'p str) -> Routed<'a, 'p> {
        if path == "/__sandbox" || path.starts_with("/__sandbox/") {
            return Routed::Control;
        }
        let mut vendor_spec = None;
        let mut allowed: Vec<&Method> = Vec::new();
        let mut best: Option<RouteMatch<'a, 'p>> = None;
        for spec in &self.model.specs {
            if !under(path, spec.prefix) {
                continue;
            }
            if !under(path, &spec.mount) {
                vendor_spec.get_or_insert(spec);
                continue;
            }
            // 404 and 405 answer in the format of the spec whose base path is the longest
            // prefix of the request path (Zoom OAuth under `/zoom`, not Zoom's REST API).
            if vendor_spec.is_none_or(|v: &SpecModel| {
                !under(path, &v.mount) || v.mount.len() < spec.mount.len()
            }) {
                vendor_spec = Some(spec);
            }
            let rest = &path[spec.mount.len()..];
            // Split once for all operations; on the stack unless the path is very long.
            let mut buffer = [""; MAX_SEGMENTS];
            let mut count = 0;
            let long: Vec<&str>;
            let segments: &[&str] = if path_segments(rest).any(|segment| {
                if count == MAX_SEGMENTS {
                    return true;
                }
                buffer[count] = segment;
                count += 1;
                false
            }) {
                long = path_segments(rest).collect();
                &long
            } else {
                &buffer[..count]
            };
            for op in &spec.ops {
                let Some(literals) = match_segments(&op.segments, segments) else {
                    continue;
                };
                if op.method != method {
                    allowed.push(&op.method);
                    continue;
                }
                if best.as_ref().is_none_or(|b| literals > b.literals) {
                    best = Some(RouteMatch {
                        spec,
                        op,
                        rest,
                        literals,
                    });
                }
            }
        }
        match (best, vendor_spec) {
            (Some(found), _) => Routed::Op(
                found.spec,
                found.op,
                PathParams {
                    template: &found.op.segments,
                    rest: found.rest,
                },
            ),
            (None, Some(spec)) if !allowed.is_empty() => {
                let allow: Vec<&str> = allowed.iter().map(|m| m.as_str()).collect();
                Routed::Missing(spec, Problem::MethodNotAllowed, Some(allow.join(", ")))
            }
            (None, Some(spec)) => Routed::Missing(spec, Problem::NotFound, None),
            (None, None) => Routed::Unknown,
        }
    }
}

/// The path parameters of a routed path, decoded when looked up (most operations look at
/// one or none).
#[derive(Clone, Copy, Debug)]
pub(super) struct PathParams<'a, 'p> {
    /// The operation's template.
    pub(super) template: &'a [Segment],
    /// The path below the spec's mount.
    pub(super) rest: &'p str,
}

impl<'p> PathParams<'_, 'p> {
    /// The percent-decoded value of the named parameter.
    pub(super) fn get(&self, name: &str) -> Option<Cow<'p, str>> {
        self.template
            .iter()
            .zip(path_segments(self.rest))
            .find_map(|(segment, actual)| match segment {
                Segment::Param(param) if param == name => Some(percent_decode(actual)),
                _ => None,
            })
    }
}

/// Path segments split on the stack when routing (longer paths are split into a `Vec`).
pub(super) const MAX_SEGMENTS: usize = 16;

/// An operation whose template matches the path.
pub(super) struct RouteMatch<'a, 'p> {
    pub(super) spec: &'a SpecModel,
    pub(super) op: &'a Op,
    /// The path below the spec's mount.
    pub(super) rest: &'p str,
    /// Literal segments matched (more = more specific).
    pub(super) literals: usize,
}

pub(super) enum Routed<'a, 'p> {
    Control,
    Op(&'a SpecModel, &'a Op, PathParams<'a, 'p>),
    Missing(&'a SpecModel, Problem, Option<String>),
    Unknown,
}

/// Whether `path` is `prefix` or below it (at a segment boundary).
pub(super) fn under(path: &str, prefix: &str) -> bool {
    prefix.is_empty()
        || path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The non-empty segments of a path.
pub(super) fn path_segments(path: &str) -> Segments<'_> {
    Segments(path)
}

/// An iterator over the non-empty `/`-separated segments of a path.
pub(super) struct Segments<'p>(pub(super) &'p str);

impl<'p> Iterator for Segments<'p> {
    type Item = &'p str;

    fn next(&mut self) -> Option<&'p str> {
        // `/` is ASCII: byte positions of it are character boundaries.
        let bytes = self.0.as_bytes();
        let start = bytes.iter().position(|&b| b != b'/')?;
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'/')
            .map_or(bytes.len(), |i| start + i);
        let segment = &self.0[start..end];
        self.0 = &self.0[end..];
        Some(segment)
    }
}

/// Matches path segments (below the mount) against a template, without allocating: how many
/// literal segments matched (more literals = more specific).
pub(super) fn match_segments(template: &[Segment], path: &[&str]) -> Option<usize> {
    if template.len() != path.len() {
        return None;
    }
    let mut literals = 0;
    for (segment, actual) in template.iter().zip(path) {
        match segment {
            Segment::Literal(text) if text == actual => literals += 1,
            Segment::Literal(_) => return None,
            Segment::Param(_) => {}
        }
    }
    Some(literals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_prefer_literal_segments() {
        let template = crate::model::segments("/a/{id}/b");
        let split = |path| path_segments(path).collect::<Vec<_>>();
        assert_eq!(match_segments(&template, &split("/a/x%20y/b")), Some(2));
        assert_eq!(match_segments(&template, &split("a//x%20y/b/")), Some(2));
        let params = PathParams {
            template: &template,
            rest: "/a/x%20y/b",
        };
        assert_eq!(params.get("id").as_deref(), Some("x y"));
        assert_eq!(params.get("b"), None);
        assert_eq!(split("//a/é//b"), ["a", "é", "b"]);
        assert!(split("///").is_empty() && split("").is_empty());
        assert_eq!(match_segments(&template, &split("/a/x")), None);
        assert_eq!(match_segments(&template, &split("/a/x/b/c")), None);
        assert_eq!(match_segments(&template, &split("/c/x/b")), None);
        assert!(under("/zoom/v2/accounts", "/zoom/v2"));
        assert!(!under("/zoomx/v2", "/zoom"));
        assert!(under("/zoom", "/zoom"));
    }

    #[test]
    fn routes_split_long_paths_too() {
        let model = Model::compile(crate::specs::EMBEDDED).unwrap();
        let app = App::new(model, SandboxConfig::default());
        let Routed::Op(_, op, params) =
            app.route(&Method::GET, "/zoom/v2/accounts/a%2Fb/plans/usage")
        else {
            panic!("not routed");
        };
        assert_eq!(op.id, "GetPlanUsage");
        assert_eq!(params.get("accountId").as_deref(), Some("a/b"));
        let long = format!("/zoom/v2{}", "/accounts".repeat(MAX_SEGMENTS + 3));
        assert!(matches!(
            app.route(&Method::GET, &long),
            Routed::Missing(_, Problem::NotFound, None)
        ));
        assert!(matches!(
            app.route(&Method::DELETE, "/zoom/v2/accounts/me/plans/usage"),
            Routed::Missing(_, Problem::MethodNotAllowed, Some(_))
        ));
    }
}
