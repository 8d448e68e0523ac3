/*
 * tools/print.c - readable renderings of schemas, specs and sort orders.
 */
#include <string.h>

#include "print.h"

static void print_field(FILE *f, const ice_field *field, int indent);

static void print_children(FILE *f, const ice_type *type, int indent)
{
	switch (type->id) {
	case ICE_TYPE_STRUCT:
		for (size_t i = 0; i < type->u.struct_.nfields; i++)
			print_field(f, &type->u.struct_.fields[i], indent);
		break;
	case ICE_TYPE_LIST:
		print_field(f, &type->u.list.element, indent);
		break;
	case ICE_TYPE_MAP:
		print_field(f, &type->u.map.key, indent);
		print_field(f, &type->u.map.value, indent);
		break;
	default:
		break;
	}
}

static void print_field(FILE *f, const ice_field *field, int indent)
{
	char *type = ice_type_to_string(field->type);
	fprintf(f, "%*s%-5d %-24s %s%s", indent, "", (int)field->id, field->name,
	        ice_type_is_nested(field->type) ? ice_type_id_name(field->type->id) : (type ? type : "?"),
	        field->required ? " required" : "");
	if (field->doc)
		fprintf(f, "  -- %s", field->doc);
	if (field->initial_default) {
		char *v = ice_literal_to_string(field->initial_default);
		fprintf(f, "  (initial default %s)", v ? v : "?");
		ice_free(v);
	}
	if (field->write_default) {
		char *v = ice_literal_to_string(field->write_default);
		fprintf(f, "  (write default %s)", v ? v : "?");
		ice_free(v);
	}
	fputc('\n', f);
	ice_free(type);
	print_children(f, field->type, indent + 2);
}

void print_schema_tree(FILE *f, const ice_schema *schema, int indent)
{
	size_t n;
	const int32_t *ids = ice_schema_identifier_field_ids(schema, &n);
	print_children(f, ice_schema_struct(schema), indent);
	if (n) {
		fprintf(f, "%*sidentifier fields:", indent, "");
		for (size_t i = 0; i < n; i++) {
			const char *name = ice_schema_field_name(schema, ids[i]);
			fprintf(f, "%s %s", i ? "," : "", name ? name : "?");
		}
		fputc('\n', f);
	}
}

static void print_sources(FILE *f, const int32_t *ids, size_t n, const ice_schema *schema)
{
	for (size_t i = 0; i < n; i++) {
		const char *name = schema ? ice_schema_field_name(schema, ids[i]) : NULL;
		if (name)
			fprintf(f, "%s%s", i ? ", " : "", name);
		else
			fprintf(f, "%s<field %d>", i ? ", " : "", (int)ids[i]);
	}
}

void print_partition_spec(FILE *f, const ice_partition_spec *spec, const ice_schema *schema)
{
	if (spec->nfields == 0) {
		fputs("unpartitioned", f);
		return;
	}
	for (size_t i = 0; i < spec->nfields; i++) {
		const ice_partition_field *pf = &spec->fields[i];
		char t[64];
		ice_transform_to_string(&pf->transform, t, sizeof(t));
		fprintf(f, "%s%s(", i ? ", " : "", t);
		print_sources(f, pf->source_ids, pf->n_source_ids, schema);
		fprintf(f, ") AS %s [%d]", pf->name, (int)pf->field_id);
	}
}

void print_sort_order(FILE *f, const ice_sort_order *order, const ice_schema *schema)
{
	if (order->nfields == 0) {
		fputs("unsorted", f);
		return;
	}
	for (size_t i = 0; i < order->nfields; i++) {
		const ice_sort_field *sf = &order->fields[i];
		char t[64];
		fputs(i ? ", " : "", f);
		if (sf->transform.kind != ICE_TRANSFORM_IDENTITY) {
			ice_transform_to_string(&sf->transform, t, sizeof(t));
			fprintf(f, "%s(", t);
		}
		print_sources(f, sf->source_ids, sf->n_source_ids, schema);
		if (sf->transform.kind != ICE_TRANSFORM_IDENTITY)
			fputc(')', f);
		fprintf(f, " %s NULLS %s", sf->direction == ICE_SORT_ASC ? "ASC" : "DESC",
		        sf->null_order == ICE_NULLS_FIRST ? "FIRST" : "LAST");
	}
}

void print_partition_values(FILE *f, const ice_partition_spec *spec, const ice_data_file *df)
{
	fputc('{', f);
	for (size_t i = 0; i < df->n_partition; i++) {
		const ice_partition_field *pf = spec && i < spec->nfields ? &spec->fields[i] : NULL;
		char *v = pf && pf->transform.kind != ICE_TRANSFORM_UNKNOWN
		              ? ice_transform_human_string(&pf->transform, &df->partition[i])
		              : ice_literal_to_string(&df->partition[i]);
		fprintf(f, "%s%s=%s", i ? ", " : "", pf ? pf->name : "?", v ? v : "?");
		ice_free(v);
	}
	fputc('}', f);
}

static void json_opt_int(ice_json_writer *w, const char *key, bool has, int64_t v)
{
	ice_json_key(w, key);
	if (has)
		ice_json_int(w, v);
	else
		ice_json_null(w);
}

void cli_json_ref(ice_json_writer *w, const ice_ref *ref)
{
	ice_json_begin_object(w);
	ice_json_key(w, "name");
	ice_json_string(w, ref->name);
	ice_json_key(w, "type");
	ice_json_string(w, ref->type == ICE_REF_TAG ? "tag" : "branch");
	ice_json_key(w, "snapshot_id");
	ice_json_int(w, ref->snapshot_id);
	json_opt_int(w, "max_reference_age_in_ms", ref->has_max_ref_age_ms, ref->max_ref_age_ms);
	json_opt_int(w, "min_snapshots_to_keep", ref->has_min_snapshots_to_keep, ref->min_snapshots_to_keep);
	json_opt_int(w, "max_snapshot_age_in_ms", ref->has_max_snapshot_age_ms, ref->max_snapshot_age_ms);
	ice_json_end_object(w);
}

void cli_json_properties(ice_json_writer *w, const ice_properties *props)
{
	ice_json_begin_object(w);
	for (size_t i = 0; props && i < props->n; i++) {
		ice_json_key(w, props->items[i].key);
		ice_json_string(w, props->items[i].value);
	}
	ice_json_end_object(w);
}

void cli_json_snapshot(ice_json_writer *w, const ice_snapshot *s)
{
	ice_json_begin_object(w);
	ice_json_key(w, "committed_at_ms");
	ice_json_int(w, s->timestamp_ms);
	ice_json_key(w, "snapshot_id");
	ice_json_int(w, s->snapshot_id);
	json_opt_int(w, "parent_id", s->has_parent, s->parent_snapshot_id);
	ice_json_key(w, "operation");
	if (s->operation)
		ice_json_string(w, s->operation);
	else
		ice_json_null(w);
	ice_json_key(w, "manifest_list");
	if (s->manifest_list)
		ice_json_string(w, s->manifest_list);
	else
		ice_json_null(w);
	ice_json_key(w, "summary");
	cli_json_properties(w, &s->summary);
	ice_json_key(w, "sequence_number");
	ice_json_int(w, s->sequence_number);
	json_opt_int(w, "schema_id", s->has_schema_id, s->schema_id);
	ice_json_end_object(w);
}
