"""CDISC ODM 1.3.2 export: study metadata and the clinical data with its audit trail.

One transactional ODM file (``FileType="Transactional"``):

- ``Study``: GlobalVariables; BasicDefinitions (measurement units); one MetaDataVersion with the
  Protocol (a StudyEventRef per protocol visit, in schedule order), a StudyEventDef per visit
  (``Category`` = the SDTM epoch; FormRefs = the protocol's forms) plus one ``Common`` event for
  records not tied to a visit (adverse events), FormDefs, ItemGroupDefs, ItemDefs (type, units,
  RangeChecks from the form specs) and CodeLists (choices; ALSFRS-R anchors).
- ``AdminData``: a User per person in the trail (login name only) and a Location per site.
- ``ClinicalData``: for each subject, event and form, every saved version of every record in
  time order: ItemGroupData with TransactionType Insert / Update / Remove, and an ItemData for
  each item the version set or changed, carrying an ``AuditRecord`` (UserRef, LocationRef,
  DateTimeStamp in UTC, ReasonForChange). Replaying the transactions in document order gives
  the records' current values.

``validate_odm`` checks a file against the ODM 1.3.2 XSD shipped in
``exchange/schemas/odm/1.3.2`` (no network). Values are kept as typed (no spreadsheet quoting);
a value XML 1.0 cannot hold at all (a control character such as U+0001, XML 1.0 section 2.2)
refuses the export with :class:`OdmContentError` naming the subject, form and item, rather
than writing an ill-formed file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from alstrial.exchange.forms import ODM_TYPES, FormSpec
from alstrial.exchange.staging import staged_file
from alstrial.exchange.trial_data import TrialData

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SCHEMA = Path(__file__).with_name("schemas") / "odm" / "1.3.2" / "ODM1-3-2.xsd"
COMMON_EVENT = "COMMON"
TRANSACTIONS = {"+": "Insert", "~": "Update", "-": "Remove"}
#: Characters XML 1.0 cannot carry: C0 controls but tab, line feed and carriage return;
#: surrogates; U+FFFE and U+FFFF.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class OdmContentError(ValueError):
    """Trial data that an ODM (XML 1.0) document cannot hold; names subject, form and item."""


def xml_problems(data: TrialData) -> list[str]:
    """Each audit value, reason or user name holding a character XML 1.0 cannot carry."""
    problems = []
    audit = data.audit
    for column in ("value", "reason", "user"):
        found = audit[column].map(lambda v: NOT_XML.search(v) if isinstance(v, str) else None)
        for index in audit.index[found.notna()]:
            row = audit.loc[index]
            character = f"U+{ord(found[index].group()):04X}"
            where = f"{row['form']}.{row['item']}" if row["item"] else str(row["form"])
            problems.append(
                f"{where}: subject {row['subject_id']}: the {column} holds the control character "
                f"{character}, which XML cannot carry; correct the record"
            )
    return problems


def serialise(root: ET.Element, prefixes: dict[str, str] | None = None) -> bytes:
    """``root`` as UTF-8 XML with ODM as the default namespace and ``prefixes`` ({prefix: uri}).

    ElementTree's prefix registry is global to the process: another library registering a
    namespace can silently rename ours (``ns0:``). The prefixes are therefore set right before
    writing, not once at import. (``default_namespace=`` cannot be used: ODM's attributes are
    unqualified, which ElementTree refuses with that option.)
    """
    for prefix, uri in {"": ODM_NS, **(prefixes or {})}.items():
        ET.register_namespace(prefix, uri)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _tag(name: str) -> str:
    return f"{{{ODM_NS}}}{name}"


def _sub(parent: ET.Element, name: str, text: str | None = None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, _tag(name), {k: str(v) for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _translated(parent: ET.Element, name: str, text: str) -> None:
    holder = _sub(parent, name)
    _sub(holder, "TranslatedText", text).set(XML_LANG, "en")


def oid(*parts: str) -> str:
    """An OID from parts: letters, digits, dots, hyphens and underscores only."""
    return ".".join(re.sub(r"[^A-Za-z0-9_-]", "_", str(p)) for p in parts)


def item_oid(form: str, item: str) -> str:
    return oid("IT", form.upper(), item.upper())


def build_odm(data: TrialData, forms: list[FormSpec], *, created: datetime | None = None) -> bytes:
    """The ODM document as UTF-8 bytes (see the module docstring); raises
    :class:`OdmContentError` for data XML cannot carry."""
    problems = xml_problems(data)
    if problems:
        raise OdmContentError("\n  ".join(problems[:20]))
    created = created or datetime.now(UTC)
    study_oid, mdv_oid = oid("ST", data.study_id), oid("MDV", data.protocol.version)
    root = ET.Element(
        _tag("ODM"),
        {
            "FileType": "Transactional",
            "FileOID": oid("F", data.study_id, created.strftime("%Y%m%dT%H%M%S")),
            "CreationDateTime": created.isoformat(timespec="seconds"),
            "ODMVersion": "1.3.2",
            "Originator": "alstrial",
            "SourceSystem": "alstrial",
        },
    )
    _study(root, data, forms, study_oid, mdv_oid)
    _admin(root, data, study_oid, mdv_oid, created)
    _clinical(root, data, forms, study_oid, mdv_oid)
    return serialise(root)


def _study(root, data: TrialData, forms: list[FormSpec], study_oid: str, mdv_oid: str) -> None:
    protocol = data.protocol
    study = _sub(root, "Study", OID=study_oid)
    globals_ = _sub(study, "GlobalVariables")
    _sub(globals_, "StudyName", data.study_id)
    _sub(globals_, "StudyDescription", data.title)
    _sub(globals_, "ProtocolName", f"{protocol.slug} version {protocol.version}")
    units = sorted({item.units for form in forms for item in form.items if item.units})
    if units:
        basic = _sub(study, "BasicDefinitions")
        for unit in units:
            mu = _sub(basic, "MeasurementUnit", OID=oid("MU", unit), Name=unit)
            _translated(mu, "Symbol", unit)
    mdv = _sub(study, "MetaDataVersion", OID=mdv_oid, Name=f"{protocol.slug} {protocol.version}")
    proto = _sub(mdv, "Protocol")
    visits = list(protocol.schedule())
    for order, visit in enumerate(visits, start=1):
        _sub(
            proto,
            "StudyEventRef",
            StudyEventOID=oid("SE", visit.visit),
            OrderNumber=order,
            Mandatory="Yes",
        )
    _sub(
        proto,
        "StudyEventRef",
        StudyEventOID=oid("SE", COMMON_EVENT),
        OrderNumber=len(visits) + 1,
        Mandatory="No",
    )
    known = {form.key for form in forms}
    for visit in visits:
        event = _sub(
            mdv,
            "StudyEventDef",
            OID=oid("SE", visit.visit),
            Name=visit.name,
            Repeating="No",
            Type="Scheduled",
            Category=visit.epoch,
        )
        forms_here = ("visit", *visit.forms) if "visit" in known else visit.forms
        for order, key in enumerate((k for k in forms_here if k in known), start=1):
            _sub(
                event, "FormRef", FormOID=oid("F", key.upper()), OrderNumber=order, Mandatory="Yes"
            )
    common = _sub(
        mdv,
        "StudyEventDef",
        OID=oid("SE", COMMON_EVENT),
        Name="Records not tied to a visit",
        Repeating="No",
        Type="Common",
    )
    for order, form in enumerate(forms, start=1):
        _sub(
            common, "FormRef", FormOID=oid("F", form.key.upper()), OrderNumber=order, Mandatory="No"
        )
    for form in forms:
        form_def = _sub(
            mdv,
            "FormDef",
            OID=oid("F", form.key.upper()),
            Name=form.label,
            Repeating="Yes" if form.repeating else "No",
        )
        _sub(form_def, "ItemGroupRef", ItemGroupOID=oid("IG", form.key.upper()), Mandatory="Yes")
    for form in forms:
        group = _sub(
            mdv,
            "ItemGroupDef",
            OID=oid("IG", form.key.upper()),
            Name=form.label,
            Repeating="Yes" if form.repeating else "No",
        )
        for order, item in enumerate(form.items, start=1):
            _sub(
                group,
                "ItemRef",
                ItemOID=item_oid(form.key, item.name),
                OrderNumber=order,
                Mandatory="Yes" if item.required else "No",
            )
    for form in forms:
        for item in form.items:
            _item_def(mdv, form, item)
    for form in forms:
        for item in form.items:
            if item.allowed:
                _code_list(mdv, form, item)


def _item_def(mdv, form: FormSpec, item) -> None:
    item_def = _sub(
        mdv,
        "ItemDef",
        OID=item_oid(form.key, item.name),
        Name=item.name,
        DataType=ODM_TYPES[item.type],
    )
    if item.description:
        _translated(item_def, "Description", item.description)
    _translated(item_def, "Question", item.label)
    if item.units:
        _sub(item_def, "MeasurementUnitRef", MeasurementUnitOID=oid("MU", item.units))
    if item.range and item.type in ("integer", "float"):
        low, high = item.range.split("-")
        for comparator, value in (("GE", low), ("LE", high)):
            check = _sub(item_def, "RangeCheck", Comparator=comparator, SoftHard="Hard")
            _sub(check, "CheckValue", value)
    if item.allowed:
        _sub(item_def, "CodeListRef", CodeListOID=oid("CL", form.key.upper(), item.name.upper()))


def _code_list(mdv, form: FormSpec, item) -> None:
    data_type = "integer" if item.type == "integer" else "text"
    code_list = _sub(
        mdv,
        "CodeList",
        OID=oid("CL", form.key.upper(), item.name.upper()),
        Name=f"{form.label}: {item.label}",
        DataType=data_type,
    )
    for code, decode in item.allowed.items():
        entry = _sub(code_list, "CodeListItem", CodedValue=code)
        _translated(entry, "Decode", decode)


def _admin(root, data: TrialData, study_oid: str, mdv_oid: str, created: datetime) -> None:
    audit = data.audit
    subjects = data.subjects
    admin = _sub(root, "AdminData", StudyOID=study_oid)
    for user in sorted(set(audit["user"].dropna())):
        element = _sub(admin, "User", OID=oid("USR", user))
        _sub(element, "LoginName", user)
    for site in sorted(set(subjects["site"].dropna()) | set(audit["site"].dropna())):
        location = _sub(admin, "Location", OID=oid("LOC", site), Name=site, LocationType="Site")
        _sub(
            location,
            "MetaDataVersionRef",
            StudyOID=study_oid,
            MetaDataVersionOID=mdv_oid,
            EffectiveDate=created.date().isoformat(),
        )


def _utc(value) -> str:
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.isoformat()


def _audit_record(parent, row) -> None:
    record = _sub(parent, "AuditRecord", EditPoint="DataManagement", UsedImputationMethod="No")
    _sub(record, "UserRef", UserOID=oid("USR", row.user))
    _sub(record, "LocationRef", LocationOID=oid("LOC", row.site))
    _sub(record, "DateTimeStamp", _utc(row.changed_at))
    if row.reason:
        _sub(record, "ReasonForChange", str(row.reason))


def _clinical(root, data: TrialData, forms: list[FormSpec], study_oid: str, mdv_oid: str):
    clinical = _sub(root, "ClinicalData", StudyOID=study_oid, MetaDataVersionOID=mdv_oid)
    audit = data.audit.copy()
    repeating = {form.key for form in forms if form.repeating}
    audit = audit.loc[audit["form"].isin({form.key for form in forms})]
    audit["event"] = audit["visit_code"].where(
        audit["visit_code"].notna() & ~audit["form"].isin(repeating), COMMON_EVENT
    )
    sites = dict(zip(data.subjects["subject_id"], data.subjects["site"], strict=True))
    for subject_id in data.subjects["subject_id"]:
        rows = audit.loc[audit["subject_id"] == subject_id]
        subject = _sub(clinical, "SubjectData", SubjectKey=subject_id, TransactionType="Upsert")
        _sub(subject, "SiteRef", LocationOID=oid("LOC", sites[subject_id]))
        for event, event_rows in rows.groupby("event", sort=False):
            event_data = _sub(
                subject, "StudyEventData", StudyEventOID=oid("SE", event), TransactionType="Upsert"
            )
            for form, form_rows in event_rows.groupby("form", sort=False):
                form_data = _sub(
                    event_data, "FormData", FormOID=oid("F", form.upper()), TransactionType="Upsert"
                )
                _versions(form_data, form, form_rows, form in repeating)


def _versions(form_data, form: str, rows: pd.DataFrame, repeating: bool) -> None:
    """One ItemGroupData per saved version, in time order."""
    keys = ["changed_at", "record_id", "change_type"]
    for (_, record_id, change), version in rows.groupby(keys, sort=True):
        attrs = {"ItemGroupOID": oid("IG", form.upper()), "TransactionType": TRANSACTIONS[change]}
        if repeating:
            attrs["ItemGroupRepeatKey"] = str(record_id)
        group = _sub(form_data, "ItemGroupData", **attrs)
        if change == "-":
            _audit_record(group, next(version.itertuples()))
            continue
        for row in version.itertuples():
            item_attrs = {"ItemOID": item_oid(form, row.item)}
            if row.value is None or (isinstance(row.value, float) and pd.isna(row.value)):
                item_attrs.update(TransactionType="Remove", IsNull="Yes")
            else:
                item_attrs.update(TransactionType=TRANSACTIONS[change], Value=str(row.value))
            _audit_record(_sub(group, "ItemData", **item_attrs), row)


def write_odm(data: TrialData, forms: list[FormSpec], path: str | Path) -> Path:
    """Write the document as ``path`` (all or nothing: ``staging``)."""
    out = Path(path)
    document = build_odm(data, forms)
    with staged_file(out) as staging:
        staging.write_bytes(document)
    return out


def validate_odm(source: str | Path | bytes) -> list[str]:
    """Problems found by the ODM 1.3.2 XSD (empty = valid); no network access."""
    # xmlschema (about 0.15 s to import) loads only when a document is validated.
    import xmlschema

    schema = xmlschema.XMLSchema(str(SCHEMA))
    document = source.decode("utf-8") if isinstance(source, bytes) else str(source)
    return [str(error.reason or error) for error in schema.iter_errors(document)][:50]


def replay(path_or_bytes: str | Path | bytes) -> dict[tuple[str, str, str], dict[str, str]]:
    """(subject, form, record key) -> {item: value}: the current values an ODM reader rebuilds
    from the transactions. The record key is the ItemGroupRepeatKey, else the event OID."""
    tree = ET.fromstring(
        path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    )
    state: dict[tuple[str, str, str], dict[str, str]] = {}
    for subject in tree.iter(_tag("SubjectData")):
        for event in subject.iter(_tag("StudyEventData")):
            for form in event.iter(_tag("FormData")):
                for group in form.iter(_tag("ItemGroupData")):
                    key = (
                        subject.get("SubjectKey"),
                        form.get("FormOID"),
                        group.get("ItemGroupRepeatKey") or event.get("StudyEventOID"),
                    )
                    if group.get("TransactionType") == "Remove":
                        state.pop(key, None)
                        continue
                    values = state.setdefault(key, {})
                    for item in _items(group):
                        if item.get("IsNull") == "Yes":
                            values.pop(item.get("ItemOID"), None)
                        else:
                            values[item.get("ItemOID")] = item.get("Value")
    return state


def _items(group: ET.Element) -> Iterable[ET.Element]:
    return group.iter(_tag("ItemData"))
