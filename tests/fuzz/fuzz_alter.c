/*
 * Fuzz target: table evolution (ice/update.h). The input is text: a schema
 * (schema language), a partition expression and a format version, one per
 * line, then one change per line, a letter and its argument:
 *   a DEF  add column          r COL=NEW rename        d COL drop
 *   m COL first|after X|before X  move                  w COL=TYPE widen
 *   o COL  optional            q COL required          c COL=DOC doc
 *   f COL=V default            i A,B identifier fields p EXPR add partition
 *   x NAME drop partition      n A=B rename partition  s ORDER sort order
 *   u K=V set property         v K unset property      F N format version
 *   I      allow incompatible changes
 * Every change that records is applied to metadata built from the first
 * lines; what applies must build, with last-column-id and last-partition-id
 * above every id and a current schema that validates; applying the changes
 * again to the result must not crash.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ice.h"

static ice_table_metadata *make(const char *schema_text, const char *partition, int version)
{
	ice_schema *schema = NULL;
	ice_partition_spec *spec = NULL;
	ice_metadata_builder *b = NULL;
	ice_table_metadata *md = NULL;
	ice_sort_order unsorted = {0, 0, NULL};
	if (ice_schema_parse_dsl(&schema, schema_text) == 0 && ice_partition_spec_parse_dsl(&spec, partition, schema) == 0 &&
	    ice_metadata_builder_new_table(&b, version) == 0 && ice_metadata_builder_add_schema(b, schema, NULL) == 0 &&
	    ice_metadata_builder_set_current_schema(b, ICE_LAST_ADDED) == 0 &&
	    ice_metadata_builder_add_spec(b, spec, NULL) == 0 && ice_metadata_builder_set_default_spec(b, ICE_LAST_ADDED) == 0 &&
	    ice_metadata_builder_add_sort_order(b, &unsorted, NULL) == 0 &&
	    ice_metadata_builder_set_default_sort_order(b, ICE_LAST_ADDED) == 0 &&
	    ice_metadata_builder_set_location(b, "/tmp/fuzz-alter") == 0)
		ice_metadata_builder_build(&md, b);
	ice_metadata_builder_free(b);
	ice_partition_spec_free(spec);
	ice_schema_free(schema);
	return md;
}

static char *split(char *arg, char **right)
{
	char *eq = strchr(arg, '=');
	if (!eq)
		return NULL;
	*eq = '\0';
	*right = eq + 1;
	return arg;
}

static void record(ice_alter *a, char op, char *arg)
{
	char *r = NULL, *l;
	switch (op) {
	case 'a': ice_alter_add_column(a, arg, ICE_COLUMN_LAST, NULL); break;
	case 'r': if ((l = split(arg, &r))) ice_alter_rename_column(a, l, r); break;
	case 'd': ice_alter_drop_column(a, arg); break;
	case 'm': {
		char *sp = strchr(arg, ' ');
		if (!sp)
			break;
		*sp++ = '\0';
		if (!strcmp(sp, "first"))
			ice_alter_move_column(a, arg, ICE_COLUMN_FIRST, NULL);
		else if (!strncmp(sp, "after ", 6))
			ice_alter_move_column(a, arg, ICE_COLUMN_AFTER, sp + 6);
		else if (!strncmp(sp, "before ", 7))
			ice_alter_move_column(a, arg, ICE_COLUMN_BEFORE, sp + 7);
		break;
	}
	case 'w': if ((l = split(arg, &r))) ice_alter_widen_column(a, l, r); break;
	case 'o': ice_alter_make_optional(a, arg); break;
	case 'q': ice_alter_make_required(a, arg); break;
	case 'c': if ((l = split(arg, &r))) ice_alter_set_doc(a, l, *r ? r : NULL); break;
	case 'f': if ((l = split(arg, &r))) ice_alter_set_default(a, l, *r ? r : NULL); break;
	case 'i': {
		const char *names[16];
		size_t n = 0;
		for (char *tok = strtok(arg, ","); tok && n < 16; tok = strtok(NULL, ","))
			names[n++] = tok;
		ice_alter_set_identifier_fields(a, names, n);
		break;
	}
	case 'p': ice_alter_add_partition_field(a, arg); break;
	case 'x': ice_alter_remove_partition_field(a, arg); break;
	case 'n': if ((l = split(arg, &r))) ice_alter_rename_partition_field(a, l, r); break;
	case 's': ice_alter_set_sort_order(a, arg); break;
	case 'u': if ((l = split(arg, &r))) ice_alter_set_property(a, l, r); break;
	case 'v': ice_alter_remove_property(a, arg); break;
	case 'F': ice_alter_upgrade_format_version(a, atoi(arg)); break;
	case 'I': ice_alter_allow_incompatible(a, true); break;
	default: break;
	}
	ice_error_clear();
}

/* Applies `a` to `md`; the result (owned) or NULL. */
static ice_table_metadata *apply(const ice_alter *a, const ice_table_metadata *md)
{
	ice_metadata_builder *b = NULL;
	ice_table_metadata *out = NULL;
	if (ice_metadata_builder_new(&b, md) != 0)
		return NULL;
	if (ice_alter_apply(a, md, b, NULL) == 0) {
		/* what applies builds */
		FUZZ_ASSERT(ice_metadata_builder_build(&out, b) == 0);
		const ice_schema *s = ice_table_metadata_current_schema(out);
		FUZZ_ASSERT(ice_schema_highest_field_id(s) <= ice_table_metadata_last_column_id(out));
		for (size_t i = 0; i < ice_table_metadata_spec_count(out); i++)
			FUZZ_ASSERT(ice_table_metadata_format_version(out) < 2 ||
			            ice_partition_spec_last_field_id(ice_table_metadata_spec_at(out, i)) <=
			                ice_table_metadata_last_partition_id(out));
		FUZZ_ASSERT(ice_partition_spec_validate(ice_table_metadata_default_spec(out), s) == 0);
	} else {
		FUZZ_ASSERT(ice_error_last() != NULL);
	}
	ice_metadata_builder_free(b);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char *lines[64];
	size_t n = 0;
	for (char *p = text, *nl; n < 64 && p; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		lines[n++] = p;
	}
	if (n >= 3) {
		int version = atoi(lines[2]);
		ice_table_metadata *md = make(lines[0], lines[1], version >= 1 && version <= 3 ? version : 2);
		ice_alter *a = NULL;
		if (md && ice_alter_new(&a) == 0) {
			for (size_t i = 3; i < n; i++)
				if (lines[i][0])
					record(a, lines[i][0], lines[i] + (lines[i][1] == ' ' ? 2 : 1));
			ice_table_metadata *once = apply(a, md);
			if (once) {
				ice_table_metadata_free(apply(a, once));
				ice_table_metadata_free(once);
			}
		}
		ice_alter_free(a);
		ice_table_metadata_free(md);
	}
	ice_error_clear();
	free(text);
	return 0;
}
