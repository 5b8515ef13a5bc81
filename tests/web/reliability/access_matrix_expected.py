"""The expected answers of the access-control matrix (test_access_matrix.py), reviewed by hand.

Cells list the answer of each role in ``ROLES`` order: coordinator, investigator, cell_lab,
safety_monitor, statistician, auditor, admin, unblinded_pharmacy, dsmb_statistician, monitor,
data_manager, anonymous. Web routes: (GET own site, POST own
site, GET other site, POST other site); API operations: (own site, other site). ``None`` for
another site's object means 404 for every logged-in role (existence does not leak).

Reading notes:
- A role that may never use a page gets 403 before any object is looked up, so 403 on another
  site's object says nothing about whether it exists (e.g. the coordinator on product pages).
- ``product:release`` answers 400 (form errors) to any lab viewer: the release authority is
  personal (ReleaseAuthority + password, checked by the service), not a role.
- API write operations get a JSON array where an object is expected, refused by schema
  validation (422) before any site or role check, so the matrix never changes data (an empty
  object is a valid QC record, and the answers then depended on the order of the requests).
  Their site and role rules with valid bodies are tested in tests/web/api/
  (test_api_isolation.py, test_api_roles.py).
- ``home`` answers 200: a user of several trials gets the list of trials (the demo's Seoul runs
  kim2009 and msc_rct); only a user of one trial is redirected to its dashboard.
- A POST answered 200 or 302 by a page that changes nothing (previews, lists, the dashboard, the
  user's own notifications) is allowed to every role; no read-only role (statistician,
  dsmb_statistician, auditor) and neither data-management role (monitor, data_manager) gets
  2xx/302 on a page that writes clinical, product or safety data. The data-management writes
  (queries, lock) have API routes only (docs/datamanagement.md); their empty-shaped bodies get
  422 like every API write; their role rules are tested in tests/web/api/test_api_queries.py
  and test_api_trial_lock.py.
- The unblinded pharmacy and the DSMB statistician reach fewer pages than their descriptions in
  docs/web.md suggest (no product pages for the pharmacy, no reports or safety tables for the
  DSMB statistician): refusals, not leaks; recorded here as they answer.
"""

# fmt: off
#: route name: (GET own, POST own, GET other, POST other); None = 404 for logged-in roles.
WEB: dict[str, tuple] = {
    "assessments:alsfrs_preview": (
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "200 200 200 200 200 200 200 200 200 200 200 login",
        None, None,
    ),
    "assessments:endpoint_edit": (
        "200 200 403 403 403 403 200 403 403 403 403 login",
        "400 400 403 403 403 403 400 403 403 403 403 login",
        "404 404 403 403 403 403 404 403 403 403 403 login",
        "404 404 403 403 403 403 404 403 403 403 403 login",
    ),
    "assessments:endpoint_new": (
        "200 200 403 403 403 403 200 403 403 403 403 login",
        "400 400 403 403 403 403 400 403 403 403 403 login",
        "404 404 403 403 403 403 404 403 403 403 403 login",
        "404 404 403 403 403 403 404 403 403 403 403 login",
    ),
    "assessments:visit_form": (
        "200 200 200 200 200 200 200 200 200 200 200 login",
        "400 400 403 403 403 403 400 403 403 403 403 login",
        None, None,
    ),
    "assessments:visit_form_delete": (
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "302 302 403 403 403 403 302 403 403 403 403 login",
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "404 404 403 403 403 403 404 403 403 403 403 login",
    ),
    "audit:subject": (
        "200 200 403 200 403 200 200 403 403 403 403 login",
        "200 200 403 200 403 200 200 403 403 403 403 login",
        "404 404 403 404 403 404 404 403 403 403 403 login",
        "404 404 403 404 403 404 404 403 403 403 403 login",
    ),
    "audit:subject_csv": (
        "200 200 403 200 403 200 200 403 403 403 403 login",
        "200 200 403 200 403 200 200 403 403 403 403 login",
        "404 404 403 404 403 404 404 403 403 403 403 login",
        "404 404 403 404 403 404 404 403 403 403 403 login",
    ),
    "audit:trial_csv": (
        "200 200 403 200 403 200 200 403 403 403 403 login",
        "200 200 403 200 403 200 200 403 403 403 403 login",
        "404 404 403 404 403 404 404 403 403 403 403 login",
        "404 404 403 404 403 404 404 403 403 403 403 login",
    ),
    "design:curve_points": (
        "403 200 403 403 200 403 200 403 403 403 403 login",
        "403 200 403 403 200 403 200 403 403 403 403 login",
        None, None,
    ),
    "design:simulator": (
        "403 200 403 403 200 403 200 403 403 403 403 login",
        "403 200 403 403 200 403 200 403 403 403 403 login",
        None, None,
    ),
    "exchange:download": (
        "404 404 404 404 404 404 404 404 404 404 404 login",
        "404 404 404 404 404 404 404 404 404 404 404 login",
        None, None,
    ),
    "home": (
        "200 200 200 200 200 200 200 200 200 200 200 login",
        "200 200 200 200 200 200 200 200 200 200 200 login",
        None, None,
    ),
    "login": (
        "200 200 200 200 200 200 200 200 200 200 200 200",
        "200 200 200 200 200 200 200 200 200 200 200 200",
        None, None,
    ),
    "logout": (
        "405 405 405 405 405 405 405 405 405 405 405 405", "-",
        None, None,
    ),
    "product:administer": (
        "403 200 403 403 403 403 200 403 403 403 403 login",
        "403 400 403 403 403 403 400 403 403 403 403 login",
        "403 404 403 403 403 403 404 403 403 403 403 login",
        "403 404 403 403 403 403 404 403 403 403 403 login",
    ),
    "product:batch": (
        "200 200 200 200 403 200 200 403 403 403 403 login",
        "200 200 200 200 403 200 200 403 403 403 403 login",
        "404 404 404 404 403 404 404 403 403 403 403 login",
        "404 404 404 404 403 404 404 403 403 403 403 login",
    ),
    "product:batch_create": (
        "403 403 200 403 403 403 200 403 403 403 403 login",
        "403 403 400 403 403 403 400 403 403 403 403 login",
        "403 403 404 403 403 403 404 403 403 403 403 login",
        "403 403 404 403 403 403 404 403 403 403 403 login",
    ),
    "product:custody": (
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "403 400 400 403 403 403 400 403 403 403 403 login",
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "403 404 404 403 403 403 404 403 403 403 403 login",
    ),
    "product:deviation": (
        "403 403 200 403 403 403 200 403 403 403 403 login",
        "403 403 400 403 403 403 400 403 403 403 403 login",
        "403 403 404 403 403 403 404 403 403 403 403 login",
        "403 403 404 403 403 403 404 403 403 403 403 login",
    ),
    "product:harvest": (
        "403 200 200 403 403 403 200 403 403 403 403 login",
        "403 400 400 403 403 403 400 403 403 403 403 login",
        "403 404 404 403 403 403 404 403 403 403 403 login",
        "403 404 404 403 403 403 404 403 403 403 403 login",
    ),
    "product:label": (
        "200 200 200 200 403 200 200 403 403 403 403 login",
        "200 200 200 200 403 200 200 403 403 403 403 login",
        "404 404 404 404 403 404 404 403 403 403 403 login",
        "404 404 404 404 403 404 404 403 403 403 403 login",
    ),
    "product:lot": (
        "200 200 200 200 403 200 200 403 403 403 403 login",
        "200 200 200 200 403 200 200 403 403 403 403 login",
        "404 404 404 404 403 404 404 403 403 403 403 login",
        "404 404 404 404 403 404 404 403 403 403 403 login",
    ),
    "product:lots": (
        "200 200 200 200 403 200 200 403 403 403 403 login",
        "200 200 200 200 403 200 200 403 403 403 403 login",
        None, None,
    ),
    "product:lots_create": (
        "403 403 200 403 403 403 200 403 403 403 403 login",
        "403 403 400 403 403 403 400 403 403 403 403 login",
        "403 403 404 403 403 403 404 403 403 403 403 login",
        "403 403 404 403 403 403 404 403 403 403 403 login",
    ),
    "product:passage": (
        "403 403 200 403 403 403 200 403 403 403 403 login",
        "403 403 400 403 403 403 400 403 403 403 403 login",
        "403 403 404 403 403 403 404 403 403 403 403 login",
        "403 403 404 403 403 403 404 403 403 403 403 login",
    ),
    "product:prepare": (
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "403 403 302 403 403 403 302 403 403 403 403 login",
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "403 403 404 403 403 403 404 403 403 403 403 login",
    ),
    "product:qc": (
        "403 403 200 403 403 403 200 403 403 403 403 login",
        "403 403 400 403 403 403 400 403 403 403 403 login",
        "403 403 404 403 403 403 404 403 403 403 403 login",
        "403 403 404 403 403 403 404 403 403 403 403 login",
    ),
    "product:qc_preview": (
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "403 403 200 403 403 403 200 403 403 403 403 login",
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "403 403 404 403 403 403 404 403 403 403 403 login",
    ),
    "product:release": (
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "400 400 400 400 403 400 400 403 403 403 403 login",
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "404 404 404 404 403 404 404 403 403 403 403 login",
    ),
    "product:subject": (
        "200 200 200 200 403 200 200 403 403 403 403 login",
        "200 200 200 200 403 200 200 403 403 403 403 login",
        "404 404 404 404 403 404 404 403 403 403 403 login",
        "404 404 404 404 403 404 404 403 403 403 403 login",
    ),
    "randomisation:approve": (
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "403 302 403 302 403 403 403 403 403 403 403 login",
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "403 404 403 404 403 403 403 403 403 403 403 login",
    ),
    "randomisation:randomise": (
        "200 200 403 403 403 403 403 403 403 403 403 login",
        "422 422 403 403 403 403 403 403 403 403 403 login",
        "404 404 403 403 403 403 403 403 403 403 403 login",
        "404 404 403 403 403 403 403 403 403 403 403 login",
    ),
    "randomisation:request_unblinding": (
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "403 302 403 403 403 403 403 403 403 403 403 login",
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "403 404 403 403 403 403 403 403 403 403 403 login",
    ),
    "reports:analysis": (
        "403 200 403 200 200 403 200 403 403 403 403 login",
        "403 200 403 200 200 403 200 403 403 403 403 login",
        None, None,
    ),
    "reports:panel": (
        "403 200 403 200 200 403 200 403 403 403 403 login",
        "403 200 403 200 200 403 200 403 403 403 403 login",
        None, None,
    ),
    "reports:build": (
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "403 302 403 302 302 403 302 403 403 403 403 login",
        "405 405 405 405 405 405 405 405 405 405 405 405", None,
    ),
    "reports:download": (
        "403 404 403 404 404 403 404 403 403 403 403 login",
        "403 404 403 404 404 403 404 403 403 403 403 login",
        None, None,
    ),
    "sap:lock": (
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "403 403 403 403 302 403 403 403 403 403 403 login",
        "405 405 405 405 405 405 405 405 405 405 405 405", None,
    ),
    "safety:board": (
        "200 200 403 200 403 200 200 403 403 403 403 login",
        "200 200 403 200 403 200 200 403 403 403 403 login",
        None, None,
    ),
    "safety:code": (
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "403 302 403 302 403 403 302 403 403 403 403 login",
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "403 404 403 404 403 403 404 403 403 403 403 login",
    ),
    "safety:detail": (
        "200 200 403 200 403 200 200 403 403 403 403 login",
        "200 200 403 200 403 200 200 403 403 403 403 login",
        "404 404 403 404 403 404 404 403 403 403 403 login",
        "404 404 403 404 403 404 404 403 403 403 403 login",
    ),
    "safety:follow_up": (
        "200 200 403 403 403 403 200 403 403 403 403 login",
        "200 200 403 403 403 403 200 403 403 403 403 login",
        "404 404 403 403 403 403 404 403 403 403 403 login",
        "404 404 403 403 403 403 404 403 403 403 403 login",
    ),
    "safety:lift": (
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "403 403 403 302 403 403 302 403 403 403 403 login",
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "403 403 403 404 403 403 404 403 403 403 403 login",
    ),
    "safety:list": (
        "200 200 403 200 403 200 200 403 403 403 403 login",
        "200 200 403 200 403 200 200 403 403 403 403 login",
        None, None,
    ),
    "safety:new": (
        "200 200 403 403 403 403 200 403 403 403 403 login",
        "200 200 403 403 403 403 200 403 403 403 403 login",
        None, None,
    ),
    "safety:notifications": (
        "200 200 200 200 200 200 200 200 200 200 200 login",
        "302 302 302 302 302 302 302 302 302 302 302 login",
        None, None,
    ),
    "safety:open_notification": (
        "404 404 404 302 404 404 404 404 404 404 404 login",
        "404 404 404 302 404 404 404 404 404 404 404 login",
        "404 404 404 302 404 404 404 404 404 404 404 login",
        "404 404 404 302 404 404 404 404 404 404 404 login",
    ),
    "safety:panel": (
        "200 200 200 200 200 200 200 200 200 200 200 login",
        "200 200 200 200 200 200 200 200 200 200 200 login",
        None, None,
    ),
    "safety:submit": (
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "403 403 403 302 403 403 302 403 403 403 403 login",
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "403 403 403 404 403 403 404 403 403 403 403 login",
    ),
    "safety:table_csv": (
        "200 200 403 200 200 200 200 403 403 403 403 login",
        "200 200 403 200 200 200 200 403 403 403 403 login",
        "404 404 403 404 404 404 404 403 403 403 403 login",
        "404 404 403 404 404 404 404 403 403 403 403 login",
    ),
    "safety:tables": (
        "200 200 403 200 200 200 200 403 403 403 403 login",
        "200 200 403 200 200 200 200 403 403 403 403 login",
        "404 404 403 404 404 404 404 403 403 403 403 login",
        "404 404 403 404 404 404 404 403 403 403 403 login",
    ),
    "subjects:correct": (
        "200 200 403 403 403 403 200 403 403 403 403 login",
        "400 400 403 403 403 403 400 403 403 403 403 login",
        "404 404 403 403 403 403 404 403 403 403 403 login",
        "404 404 403 403 403 403 404 403 403 403 403 login",
    ),
    "subjects:detail": (
        "200 200 200 200 200 200 200 200 200 200 200 login",
        "200 200 200 200 200 200 200 200 200 200 200 login",
        None, None,
    ),
    "subjects:enrol": (
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "400 400 403 403 403 403 400 403 403 403 403 login",
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "404 404 403 403 403 403 404 403 403 403 403 login",
    ),
    "subjects:identity": (
        "200 200 403 403 403 403 200 403 403 403 403 login",
        "400 400 403 403 403 403 400 403 403 403 403 login",
        "404 404 403 403 403 403 404 403 403 403 403 login",
        "404 404 403 403 403 403 404 403 403 403 403 login",
    ),
    "subjects:list": (
        "200 200 200 200 200 200 200 200 200 200 200 login",
        "200 200 200 200 200 200 200 200 200 200 200 login",
        None, None,
    ),
    "subjects:screen": (
        "200 200 403 403 403 403 200 403 403 403 403 login",
        "400 400 403 403 403 403 400 403 403 403 403 login",
        None, None,
    ),
    "subjects:visit": (
        "200 200 200 200 403 200 200 200 403 200 200 login",
        "400 400 403 403 403 403 400 403 403 403 403 login",
        None, None,
    ),
    "subjects:withdraw": (
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "302 302 403 403 403 403 302 403 403 403 403 login",
        "405 405 405 405 405 405 405 405 405 405 405 405",
        "404 404 403 403 403 403 404 403 403 403 403 login",
    ),
    "trials:analysis_csv": (
        "403 200 403 403 200 403 200 403 403 403 403 login",
        "403 200 403 403 200 403 200 403 403 403 403 login",
        "403 404 403 403 404 403 404 403 403 403 403 login",
        "403 404 403 403 404 403 404 403 403 403 403 login",
    ),
    "trials:dashboard": (
        "200 200 200 200 200 200 200 200 200 200 200 login",
        "200 200 200 200 200 200 200 200 200 200 200 login",
        None, None,
    ),
}
#: "METHOD /api/v1/path": (own, other); None = 404 for logged-in roles.
API: dict[str, tuple] = {
    "POST /api/v1/auth/token": (
        "422 422 422 422 422 422 422 422 422 422 422 422", None,
    ),
    "DELETE /api/v1/auth/token": (
        "204 204 204 204 204 204 204 204 204 204 204 401", None,
    ),
    "GET /api/v1/subjects": (
        "200 200 200 200 200 200 200 200 200 200 200 401", None,
    ),
    "POST /api/v1/subjects": (
        "422 422 422 422 422 422 422 422 422 422 422 401", None,
    ),
    "GET /api/v1/subjects/{subject_id}": (
        "200 200 200 200 200 200 200 200 200 200 200 401", None,
    ),
    "PUT /api/v1/subjects/{subject_id}": (
        "422 422 422 422 422 422 422 422 422 422 422 401",
        "422 422 422 422 422 422 422 422 422 422 422 401",
    ),
    "POST /api/v1/subjects/{subject_id}/enrolment": (
        "422 422 422 422 422 422 422 422 422 422 422 401",
        "422 422 422 422 422 422 422 422 422 422 422 401",
    ),
    "POST /api/v1/subjects/{subject_id}/withdrawal": (
        "422 422 422 422 422 422 422 422 422 422 422 401",
        "422 422 422 422 422 422 422 422 422 422 422 401",
    ),
    "GET /api/v1/subjects/{subject_id}/audit": (
        "200 200 403 200 403 200 200 403 403 403 403 401", None,
    ),
    "GET /api/v1/visits": (
        "200 200 200 200 200 200 200 200 200 200 200 401", None,
    ),
    "GET /api/v1/visits/{visit_id}": (
        "200 200 200 200 200 200 200 200 200 200 200 401", None,
    ),
    "PUT /api/v1/visits/{visit_id}": (
        "422 422 422 422 422 422 422 422 422 422 422 401",
        "422 422 422 422 422 422 422 422 422 422 422 401",
    ),
    "GET /api/v1/assessments/alsfrs": (
        "200 200 200 200 200 200 200 200 200 200 200 401", None,
    ),
    "POST /api/v1/assessments/alsfrs": (
        "422 422 422 422 422 422 422 422 422 422 422 401", None,
    ),
    "GET /api/v1/assessments/alsfrs/{assessment_id}": (
        "200 200 200 200 200 200 200 200 200 200 200 401", None,
    ),
    "PUT /api/v1/assessments/alsfrs/{assessment_id}": (
        "422 422 422 422 422 422 422 422 422 422 422 401",
        "422 422 422 422 422 422 422 422 422 422 422 401",
    ),
    "GET /api/v1/adverse-events": (
        "200 200 403 200 403 200 200 403 403 403 403 401", None,
    ),
    "POST /api/v1/adverse-events": (
        "422 422 422 422 422 422 422 422 422 422 422 401", None,
    ),
    "GET /api/v1/adverse-events/{event_id}": (
        "200 200 403 200 403 200 200 403 403 403 403 401", None,
    ),
    "PUT /api/v1/adverse-events/{event_id}": (
        "422 422 422 422 422 422 422 422 422 422 422 401",
        "422 422 422 422 422 422 422 422 422 422 422 401",
    ),
    "GET /api/v1/lots": (
        "200 200 200 200 200 200 200 200 200 200 200 401", None,
    ),
    "POST /api/v1/lots": (
        "422 422 422 422 422 422 422 422 422 422 422 401", None,
    ),
    "GET /api/v1/lots/{lot_id}": (
        "200 200 200 200 200 200 200 200 200 200 200 401", None,
    ),
    "PUT /api/v1/lots/{lot_id}/qc": (
        "422 422 422 422 422 422 422 422 422 422 422 401",
        "422 422 422 422 422 422 422 422 422 422 422 401",
    ),
    "POST /api/v1/lots/{lot_id}/dose": (
        "422 422 422 422 422 422 422 422 422 422 422 401",
        "422 422 422 422 422 422 422 422 422 422 422 401",
    ),
    "POST /api/v1/lots/{lot_id}/release": (
        "422 422 422 422 422 422 422 422 422 422 422 401",
        "422 422 422 422 422 422 422 422 422 422 422 401",
    ),
    "POST /api/v1/lots/{lot_id}/custody": (
        "422 422 422 422 422 422 422 422 422 422 422 401",
        "422 422 422 422 422 422 422 422 422 422 422 401",
    ),
    "GET /api/v1/administrations": (
        "200 200 200 200 200 200 200 200 200 200 200 401", None,
    ),
    "POST /api/v1/administrations": (
        "422 422 422 422 422 422 422 422 422 422 422 401", None,
    ),
    "GET /api/v1/administrations/{administration_id}": (
        "200 200 200 200 200 200 200 200 200 200 200 401", None,
    ),
    "POST /api/v1/subjects/{subject_id}/randomisation": (
        "422 422 403 403 403 403 403 403 403 403 403 401", None,
    ),
    "GET /api/v1/subjects/{subject_id}/randomisation": (
        "404 404 404 404 404 404 404 404 404 404 404 401", None,
    ),
    "POST /api/v1/subjects/{subject_id}/unblinding": (
        "422 422 422 422 422 422 422 422 422 422 422 401",
        "422 422 422 422 422 422 422 422 422 422 422 401",
    ),
    "POST /api/v1/unblinding/{unblinding_id}/approve": (
        "403 422 403 422 403 403 403 403 403 403 403 401", None,
    ),
    "GET /api/v1/unblinding/{unblinding_id}": (
        "200 200 403 200 403 200 200 403 403 403 403 401", None,
    ),
    "GET /api/v1/queries": (
        "200 200 403 403 403 200 200 403 403 200 200 401", None,
    ),
    "POST /api/v1/queries": (
        "422 422 422 422 422 422 422 422 422 422 422 401", None,
    ),
    "POST /api/v1/queries/{query_id}/answer": (
        "422 422 422 422 422 422 422 422 422 422 422 401",
        "422 422 422 422 422 422 422 422 422 422 422 401",
    ),
    "POST /api/v1/queries/{query_id}/close": (
        "422 422 422 422 422 422 422 422 422 422 422 401",
        "422 422 422 422 422 422 422 422 422 422 422 401",
    ),
    "POST /api/v1/queries/{query_id}/reopen": (
        "422 422 422 422 422 422 422 422 422 422 422 401",
        "422 422 422 422 422 422 422 422 422 422 422 401",
    ),
    "POST /api/v1/trials/{slug}/lock": (
        "422 422 422 422 422 422 422 422 422 422 422 401",
        "422 422 422 422 422 422 422 422 422 422 422 401",
    ),
    "POST /api/v1/trials/{slug}/unlock": (
        "422 422 422 422 422 422 422 422 422 422 422 401",
        "422 422 422 422 422 422 422 422 422 422 422 401",
    ),
}
# fmt: on
