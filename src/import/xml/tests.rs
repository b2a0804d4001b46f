//! Tests of the XML reader.

use super::*;

fn nodes(xml: &str) -> anyhow::Result<(Vec<Node>, Vec<String>)> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("x.xml");
    std::fs::write(&path, xml)?;
    let mut s = XmlStream::open(&path)?;
    let mut out = Vec::new();
    loop {
        let n = s.next_node()?;
        if n == Node::Eof {
            break;
        }
        out.push(n);
    }
    Ok((out, s.notes))
}

#[test]
fn entities_cdata_and_empty_elements_come_out_as_nodes() {
    let (n, notes) =
        nodes("<?xml version=\"1.0\"?><a x=\"1&amp;2\"><b/>t &lt; &#233;<![CDATA[<p>]]></a>")
            .unwrap();
    assert!(notes.is_empty());
    assert_eq!(
        n,
        vec![
            Node::Open {
                name: "a".into(),
                attrs: vec![("x".into(), "1&2".into())]
            },
            Node::Open {
                name: "b".into(),
                attrs: vec![]
            },
            Node::Close { name: "b".into() },
            Node::Text("t ".into()),
            Node::Text("<".into()),
            Node::Text(" ".into()),
            Node::Text("é".into()),
            Node::Text("<p>".into()),
            Node::Close { name: "a".into() },
        ]
    );
}

#[test]
fn a_stray_character_before_the_declaration_is_skipped_and_noted() {
    let (n, notes) = nodes("`<?xml version=\"1.0\"?>\n<a/>").unwrap();
    assert_eq!(n.len(), 2);
    assert_eq!(notes.len(), 1);
    assert!(notes[0].contains('`'), "{notes:?}");
}

#[test]
fn an_unquoted_attribute_is_read_leniently_and_noted() {
    let (n, notes) = nodes("<a>\n<t dsq:id=42/>\n</a>").unwrap();
    assert_eq!(n[1], Node::Text("\n".into()));
    assert_eq!(
        n[2],
        Node::Open {
            name: "t".into(),
            attrs: vec![("id".into(), "42".into())]
        }
    );
    assert!(notes[0].starts_with("line 2:"), "{notes:?}");
}

#[test]
fn a_mismatched_end_tag_names_line_and_elements() {
    let err = nodes("<a>\n<post>\n<b>x</c>\n</post></a>")
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("<a> > <post> > <b>"), "{err}");
}

#[test]
fn a_truncated_file_is_an_error() {
    let err = nodes("<a><post><b>x</b>").unwrap_err().to_string();
    assert!(err.contains("ends before </post>"), "{err}");
}
