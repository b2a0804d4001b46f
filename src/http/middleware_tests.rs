//! The rate-limit table against the route table: every public `/api/` operation the OpenAPI
//! document lists spends some class. (`route_class` answers `None` for any `/api/` path it
//! does not know, so a new route left out of it would be unlimited.)

use super::route_class;
use actix_web::http::Method;

#[test]
fn every_public_api_operation_spends_a_rate_limit_class() {
    let doc: serde_json::Value = serde_json::from_str(crate::routes::openapi::document()).unwrap();
    let mut free = Vec::new();
    let mut seen = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/") || path.starts_with("/api/admin/") {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            let m: Method = method.to_uppercase().parse().unwrap();
            let concrete = path.replace("{id}", "1").replace("{file}", "x.svg");
            seen += 1;
            if route_class(&m, &concrete).is_none() {
                free.push(format!("{m} {path}"));
            }
        }
    }
    assert!(seen >= 20, "{seen} operations");
    assert!(
        free.is_empty(),
        "public API operations that spend no rate limit: {free:?}"
    );
}
