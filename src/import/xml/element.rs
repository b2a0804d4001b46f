//! Start tags: local names, and attributes read strictly, or leniently when an export
//! breaks the XML rules.

use quick_xml::events::BytesStart;

pub(super) fn local(qname: &[u8]) -> String {
    let name = match qname.iter().rposition(|&b| b == b':') {
        Some(i) => &qname[i + 1..],
        None => qname,
    };
    String::from_utf8_lossy(name).into_owned()
}

/// Name and attributes of a start tag; attributes that break the XML rules (unquoted
/// values) are read the way HTML would read them, and a note says so.
pub(super) fn element(e: &BytesStart<'_>) -> (String, Vec<(String, String)>, Option<String>) {
    let name = local(e.name().as_ref());
    let mut attrs = Vec::new();
    let mut strict = e.attributes();
    strict.with_checks(true);
    let mut ok = true;
    for a in strict {
        match a {
            Ok(a) => {
                let value = a
                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .map(|v| v.into_owned())
                    .unwrap_or_else(|_| String::from_utf8_lossy(&a.value).into_owned());
                attrs.push((local(a.key.as_ref()), value));
            }
            Err(_) => {
                ok = false;
                break;
            }
        }
    }
    if ok {
        return (name, attrs, None);
    }
    attrs.clear();
    for a in e.html_attributes().flatten() {
        let value = String::from_utf8_lossy(&a.value).into_owned();
        attrs.push((local(a.key.as_ref()), value));
    }
    let raw = String::from_utf8_lossy(e.attributes_raw())
        .trim()
        .to_string();
    let note = format!("<{name}> has a malformed attribute ({raw}); read it leniently");
    (name, attrs, Some(note))
}
