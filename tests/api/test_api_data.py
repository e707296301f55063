#!/usr/bin/env python3
"""test_api_data.py - the data routes of a project, against the real server: items (keyset pages
by id, capped page size, one item with its annotations), guidelines (a Markdown PUT makes a new
version, GET ?version=N), the label schema (GET, PUT a new version, 422 naming the field at
fault), labels and predictions by upload (as `labelops import labels|predictions`: counts, the
column options, a bad line refused with its number and nothing stored), agreement and
aggregation (the same figures as `labelops agree` and `labelops aggregate` on the same labels),
and their errors. Who may call them is the matrix's
business (test_api_matrix.py); this checks what they answer.

Standard library only. Prints "ok NAME" / "FAIL NAME: why" and ends with "N passed, N failed".
"""
import csv
import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_api as t  # noqa: E402
import test_api_matrix as mx  # noqa: E402

LO = sys.argv[1]
passed = 0
failed = 0


def ok(name):
    global passed
    passed += 1
    print(f"ok   {name}", flush=True)


def ko(name, why):
    global failed
    failed += 1
    print(f"FAIL {name}: {why}", flush=True)


def check(name, cond, why=""):
    (ok if cond else lambda n: ko(n, why))(name)


def expect_error(name, got, status, field=None):
    st, _, data = got
    e = t.error_of(data)
    if st != status or e is None or (field and e.get("field") != field):
        ko(name, f"{st} {data[:200]!r}, expected {status} field {field}")
    else:
        ok(name)


def get(srv, path, h):
    st, _, data = srv.req("GET", path, headers=h)
    try:
        return st, json.loads(data)
    except ValueError:
        return st, data


def main():
    tmp = tempfile.mkdtemp()
    srv = None
    try:
        fx = mx.Fixture(tmp)
        fx.setup()
        srv = t.Server(fx.db, "--rate", "0", "--quiet")
        adm = mx.auth_headers(fx, "admin")
        ann = mx.auth_headers(fx, "annotator")
        rev = mx.auth_headers(fx, "reviewer")  # sees every item and label of the project
        base = f"/api/v1/projects/{mx.PROJECT}"

        # ---- what an annotator sees: only the items the workflow gave them (none yet here)
        st, j = get(srv, f"{base}/items?limit=100", ann)
        check("an_annotator_lists_only_items_given_to_them",
              st == 200 and j.get("items") == [], f"{st} {j}")
        st, j = get(srv, f"{base}/items?limit=1", rev)
        first = j["items"][0]["id"] if st == 200 and j.get("items") else 0
        expect_error("an_item_not_given_to_an_annotator_reads_as_missing",
                     srv.req("GET", f"{base}/items/{first}", headers=ann), 404)

        # ---- items: pages by id
        seen, after, pages = [], None, 0
        while pages < 10:
            st, j = get(srv, f"{base}/items?limit=4" + (f"&after={after}" if after else ""), rev)
            if st != 200:
                ko("items_pages", f"{st} {j}")
                break
            pages += 1
            seen += j["items"]
            after = j["next"]
            if after is None:
                break
        ids = [x["id"] for x in seen]
        check("items_come_in_pages_in_id_order_without_gaps_or_repeats",
              pages == 2 and len(ids) == 6 and ids == sorted(set(ids)) and
              [x["external_id"] for x in seen] == [f"it{i}" for i in range(6)], str(seen))
        check("items_list_counts_annotations",
              all(x["n_annotations"] == 3 and x["payload"].get("text") for x in seen), str(seen))
        st, j = get(srv, f"{base}/items?limit=100000", rev)
        check("items_page_size_is_capped_not_refused", st == 200 and len(j["items"]) == 6, str(st))
        expect_error("items_limit_zero_is_422", srv.req("GET", f"{base}/items?limit=0",
                                                        headers=rev), 422, "limit")
        expect_error("items_after_not_an_id_is_422", srv.req("GET", f"{base}/items?after=x",
                                                             headers=rev), 422, "after")
        expect_error("items_of_an_unknown_project_is_404",
                     srv.req("GET", "/api/v1/projects/nope/items", headers=adm), 404)

        # ---- one item
        st, j = get(srv, f"{base}/items/{ids[1]}", rev)
        anns = j.get("annotations", []) if st == 200 else []
        check("item_has_its_annotations",
              st == 200 and j["external_id"] == "it1" and len(anns) == 3 and
              {a["annotator"] for a in anns} == {"w1", "w2", "w3"} and
              all("label" in a["value"] or a["value"] for a in anns) and
              j.get("predictions") == [], f"{st} {j}")
        expect_error("unknown_item_is_404", srv.req("GET", f"{base}/items/999999", headers=rev),
                     404)
        expect_error("item_id_not_a_number_is_404", srv.req("GET", f"{base}/items/abc",
                                                            headers=rev), 404)
        other = fx.fresh_project()
        st, oj = get(srv, f"/api/v1/projects/{other}/items?limit=1", adm)
        oid = oj["items"][0]["id"] if st == 200 and oj["items"] else 0
        expect_error("an_item_of_another_project_is_404_here",
                     srv.req("GET", f"{base}/items/{oid}", headers=adm), 404)

        # ---- guidelines
        st, j = get(srv, f"{base}/guidelines", ann)
        check("guidelines_latest", st == 200 and j["version"] == 1 and "Be careful" in j["body"],
              f"{st} {j}")
        st, _, data = srv.req("PUT", f"{base}/guidelines", "# v2\n\nNew rules \u2713\n",
                              {**adm, "Content-Type": "text/markdown; charset=utf-8"})
        check("guidelines_put_makes_a_new_version",
              st == 201 and json.loads(data)["version"] == 2, f"{st} {data!r}")
        st, j = get(srv, f"{base}/guidelines", ann)
        check("guidelines_latest_is_the_new_one",
              st == 200 and j["version"] == 2 and j["body"] == "# v2\n\nNew rules \u2713\n",
              f"{st} {j}")
        st, j = get(srv, f"{base}/guidelines?version=1", ann)
        check("guidelines_old_version_is_kept", st == 200 and "Be careful" in j.get("body", ""),
              f"{st} {j}")
        expect_error("guidelines_unknown_version_is_404",
                     srv.req("GET", f"{base}/guidelines?version=9", headers=ann), 404, "version")
        expect_error("guidelines_version_zero_is_422",
                     srv.req("GET", f"{base}/guidelines?version=0", headers=ann), 422, "version")
        got = srv.req("PUT", f"{base}/guidelines", '{"body": "x"}',
                      {**adm, "Content-Type": "application/json"})
        expect_error("guidelines_put_as_json_is_415", got, 415)
        expect_error("guidelines_put_empty_is_400",
                     srv.req("PUT", f"{base}/guidelines", b"",
                             {**adm, "Content-Type": "text/markdown"}), 400)
        expect_error("guidelines_put_invalid_utf8_is_422",
                     srv.req("PUT", f"{base}/guidelines", b"\xff\xfe bad",
                             {**adm, "Content-Type": "text/markdown"}), 422)
        expect_error("guidelines_of_a_project_without_any_is_404",
                     srv.req("GET", f"/api/v1/projects/{other}/guidelines", headers=adm), 404)

        # ---- agreement: the same figure as the command line on the same labels
        labels = os.path.join(tmp, f"{mx.PROJECT}-labels.csv")
        for metric in ("alpha", "fleiss", "percent", "ac1", "conger"):
            cli = fx.cli("agree", labels, "--metric", metric, "--json")
            want = json.loads(cli.stdout)
            st, j = get(srv, f"{base}/agreement?metric={metric}", ann)
            check(f"agreement_{metric}_matches_the_cli",
                  st == 200 and j["defined"] and want.get("value") is not None and
                  abs(j["value"] - want["value"]) < 1e-12 and j["items"] == 6 and
                  j["annotators"] == 3, f"{st} {j} vs {want}")
        st, j = get(srv, f"{base}/agreement?metric=cohen", ann)
        check("agreement_undefined_says_why", st == 200 and j["defined"] is False and
              j["value"] is None and j["reason"], f"{st} {j}")
        expect_error("agreement_unknown_metric_is_422",
                     srv.req("GET", f"{base}/agreement?metric=magic", headers=ann), 422, "metric")
        expect_error("agreement_unknown_level_is_422",
                     srv.req("GET", f"{base}/agreement?level=cosmic", headers=ann), 422, "level")
        expect_error("agreement_unknown_field_is_422",
                     srv.req("GET", f"{base}/agreement?field=nope", headers=ann), 422, "field")
        expect_error("agreement_without_labels_is_422",
                     srv.req("GET", f"/api/v1/projects/{other}/agreement", headers=adm), 422)

        # ---- aggregate: the same labels as the command line, in pages
        for method in ("mv", "ds"):
            out = os.path.join(tmp, f"agg-{method}.csv")
            fx.cli("aggregate", labels, "--method", method, "--out", out)
            with open(out) as f:
                want = {r["item"]: r["label"] for r in csv.DictReader(f)}
            got, after, pages = {}, None, 0
            while pages < 10:
                st, j = get(srv, f"{base}/aggregate?method={method}&limit=4" +
                            (f"&after={after}" if after else ""), rev)
                if st != 200:
                    break
                pages += 1
                got.update({x["item"]: x["label"] for x in j["items"]})
                after = j["next"]
                if after is None:
                    break
            check(f"aggregate_{method}_matches_the_cli_over_pages",
                  st == 200 and pages == 2 and got == want, f"{st} {got} vs {want}")
        expect_error("aggregate_unknown_method_is_422",
                     srv.req("GET", f"{base}/aggregate?method=oracle", headers=rev), 422, "method")
        expect_error("aggregate_bad_cursor_is_422",
                     srv.req("GET", f"{base}/aggregate?after=nope", headers=rev), 422, "after")
        # the consensus of each item is other annotators' labels in another form
        expect_error("aggregate_is_not_for_annotators",
                     srv.req("GET", f"{base}/aggregate?method=mv", headers=ann), 403)

        # ---- names that could not be addressed in a URL are refused at creation
        expect_error("project_name_with_a_slash_is_422",
                     srv.req("POST", "/api/v1/projects", {"name": "team/alpha"}, adm), 422,
                     "name")
        st, j = get(srv, "/api/v1/projects?limit=500", adm)
        check("the_refused_project_does_not_exist",
              st == 200 and all(p["name"] != "team/alpha" for p in j["projects"]), str(j))

        # ---- the label schema
        st, j = get(srv, f"{base}/schema", ann)
        fields = j.get("schema", {}).get("fields", []) if st == 200 else []
        check("schema_get_shows_the_inferred_schema",
              st == 200 and j["version"] == 1 and j["project"] == mx.PROJECT and
              fields and fields[0]["name"] == "label" and fields[0]["classes"] == ["neg", "pos"],
              f"{st} {j}")
        expect_error("schema_of_a_project_without_one_is_404",
                     srv.req("GET", f"/api/v1/projects/{other}/schema", headers=adm), 404,
                     "schema")
        bad = {"fields": [{"name": "label", "type": "single_choice", "classes": 3}]}
        expect_error("schema_put_invalid_names_the_field_at_fault",
                     srv.req("PUT", f"{base}/schema", bad, adm), 422, "label")
        bad = {"fields": [{"name": "mood", "type": "telepathy"}]}
        expect_error("schema_put_unknown_type_names_the_field",
                     srv.req("PUT", f"{base}/schema", bad, adm), 422, "mood")
        expect_error("schema_put_fields_not_a_list_is_422_on_the_schema",
                     srv.req("PUT", f"{base}/schema", {"fields": {"label": {}}}, adm), 422,
                     "schema")
        expect_error("schema_put_as_text_is_415",
                     srv.req("PUT", f"{base}/schema", "{}", dict(adm, **{
                         "Content-Type": "text/plain"})), 415)
        st, j = get(srv, f"{base}/schema", ann)
        check("refused_schemas_changed_nothing", st == 200 and j["version"] == 1, f"{st} {j}")
        new = {"fields": [{"name": "label", "type": "single_choice",
                           "classes": ["neg", "pos", "maybe"]}]}
        st, _, data = srv.req("PUT", f"{base}/schema", new, adm)
        j = json.loads(data) if st == 201 else {}
        check("schema_put_makes_a_new_version",
              st == 201 and j["version"] == 2 and
              j["schema"]["fields"][0]["classes"] == ["neg", "pos", "maybe"], f"{st} {data!r}")
        st, j = get(srv, f"{base}/schema", ann)
        st2, p = get(srv, base, ann)
        check("schema_get_and_project_show_the_new_version",
              st == 200 and j["version"] == 2 and st2 == 200 and p["schema_version"] == 2,
              f"{st} {j} {st2}")

        # ---- labels by upload, as `labelops import labels`
        csv_h = dict(adm, **{"Content-Type": "text/csv"})
        st, _, data = srv.req("POST", f"{base}/labels",
                              "item,annotator,label\nit0,w9,maybe\nnew1,w9,pos\n", csv_h)
        j = json.loads(data) if st == 200 else {}
        check("labels_upload_imports_and_creates_unknown_items",
              st == 200 and j["lines"] == 2 and j["annotations"] == 2 and
              j["items_inserted"] == 1 and j["schema_inferred"] is False, f"{st} {data!r}")
        st, j = get(srv, f"{base}/items?limit=100", rev)
        by_ext = {x["external_id"]: x for x in j.get("items", [])}
        check("uploaded_labels_are_on_their_items",
              by_ext.get("it0", {}).get("n_annotations") == 4 and
              by_ext.get("new1", {}).get("n_annotations") == 1, str(by_ext))
        before = {k: v["n_annotations"] for k, v in by_ext.items()}
        got = srv.req("POST", f"{base}/labels",
                      "item,annotator,label\nit2,w9,pos\nit3,w9,sideways\n", csv_h)
        st, _, data = got
        e = t.error_of(data) or {}
        check("labels_upload_bad_label_is_422_naming_the_line",
              st == 422 and "line 3" in e.get("message", ""), f"{st} {data!r}")
        st, j = get(srv, f"{base}/items?limit=100", rev)
        check("refused_labels_upload_changed_nothing",
              {x["external_id"]: x["n_annotations"] for x in j.get("items", [])} == before,
              str(j))
        st, _, data = srv.req("POST", f"{base}/labels?item_field=task&annotator_field=who"
                              "&label_field=said", "task,who,said\nit4,w8,neg\n", csv_h)
        check("labels_upload_takes_the_column_options",
              st == 200 and json.loads(data)["annotations"] == 1, f"{st} {data!r}")
        expect_error("labels_upload_bad_boolean_is_422",
                     srv.req("POST", f"{base}/labels?numeric=perhaps",
                             "item,annotator,label\nit4,w7,neg\n", csv_h), 422, "numeric")
        expect_error("labels_upload_without_a_format_is_422",
                     srv.req("POST", f"{base}/labels", "item,annotator,label\n",
                             dict(adm, **{"Content-Type": "application/octet-stream"})), 422,
                     "format")
        expect_error("labels_upload_empty_is_400",
                     srv.req("POST", f"{base}/labels", "", csv_h), 400)
        st, _, data = srv.req("POST", f"/api/v1/projects/{other}/labels?numeric=true",
                              "item,annotator,label\nit0,w1,3\nit1,w1,4\n", csv_h)
        st2, j = get(srv, f"/api/v1/projects/{other}/schema", adm)
        check("labels_upload_infers_a_schema_like_the_cli",
              st == 200 and json.loads(data)["schema_inferred"] is True and st2 == 200 and
              j["schema"]["fields"][0]["type"] == "rating", f"{st} {data!r} {j}")

        # ---- predictions by upload, as `labelops import predictions`
        nd_h = dict(adm, **{"Content-Type": "application/x-ndjson"})
        line = {"item": "it1", "model": "m1", "model_version": "7", "value": {"label": "pos"},
                "score": 0.75}
        st, _, data = srv.req("POST", f"{base}/predictions", json.dumps(line) + "\n", nd_h)
        check("predictions_upload_imports",
              st == 200 and json.loads(data)["predictions"] == 1, f"{st} {data!r}")
        st, _, data = srv.req("POST", f"{base}/predictions?model=fallback",
                              json.dumps({"item": "it1", "value": {"label": "neg"}}) + "\n", nd_h)
        check("predictions_upload_takes_the_default_model", st == 200, f"{st} {data!r}")
        st, j = get(srv, f"{base}/items/{ids[1]}", rev)
        preds = j.get("predictions", []) if st == 200 else []
        check("uploaded_predictions_are_on_the_item",
              sorted((p["model"], p["value"]["label"]) for p in preds) ==
              [("fallback", "neg"), ("m1", "pos")] and
              any(p["score"] == 0.75 and p["model_version"] == "7" for p in preds), str(j))
        bad = dict(line, value={"label": "never"})
        got = srv.req("POST", f"{base}/predictions", json.dumps(line) + "\n" +
                      json.dumps(bad) + "\n", nd_h)
        st, _, data = got
        check("predictions_upload_invalid_value_is_422_naming_the_line",
              st == 422 and "line 2" in (t.error_of(data) or {}).get("message", ""),
              f"{st} {data!r}")
        st, j = get(srv, f"{base}/items/{ids[1]}", rev)
        check("refused_predictions_upload_changed_nothing",
              st == 200 and len(j.get("predictions", [])) == 2, str(j))

        rc = srv.stop()
        srv = None
        check("server_stops_cleanly", rc == 0, f"exit {rc}")
    except Exception as ex:
        ko("test_program", repr(ex))
    finally:
        if srv:
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
