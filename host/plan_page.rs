//! `berth plan --html FILE`: one self-contained page for the person who
//! approves a plan. The plan's JSON is embedded as data and the page's own
//! inline script draws it (totals, repositories sortable by bytes freed and
//! by removals, each tag's decision and reason) with text nodes only, so no
//! tag name or reason from a registry is ever read as markup. Nothing is
//! fetched: the page's Content-Security-Policy allows no network at all.

use serde::Serialize;

const PAGE: &str = include_str!("plan_page.html");

/// The page for `plan`.
pub fn render(plan: &impl Serialize) -> String {
    let json = serde_json::to_string(plan).expect("a plan serialises");
    PAGE.replace("__PLAN__", &script_safe(&json))
}

/// JSON that cannot end the `<script>` element holding it: every `<` (as
/// in `</script>` or `<!--`) becomes its JSON escape, which parses back to
/// the same text.
fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_cannot_break_out_of_its_script() {
        let plan = serde_json::json!({"version": 1, "repositories": [
            {"repo": "r/x", "kept": [{"tag": "</script><script>alert(1)</script>", "reason": "keep"}]}
        ]});
        let page = render(&plan);
        assert_eq!(page.matches("</script>").count(), 2, "only the page's own");
        let start = page.find("id=\"plan\">").unwrap() + "id=\"plan\">".len();
        let end = start + page[start..].find("</script>").unwrap();
        let back: serde_json::Value = serde_json::from_str(&page[start..end]).unwrap();
        assert_eq!(back, plan);
    }

    #[test]
    fn nothing_is_fetched() {
        let page = render(&serde_json::json!({"version": 1, "repositories": []}));
        for fetch in ["http://", "https://", " src=", "<link", "@import", "url("] {
            assert!(!page.contains(fetch), "{fetch}");
        }
    }
}
