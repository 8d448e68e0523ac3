/*
 * scan/task.c - tasks that outlive the planner (copies), and a task as
 * JSON for `ice scan --plan --json`: the data file, its spec and partition,
 * sequence numbers, the delete files that apply and the residual filter.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

typedef struct owned_task {
	ice_scan_task task; /* first: the public pointer is this struct's */
	ice_data_file *file;
	ice_scan_delete *deletes;
	ice_expr *residual;
} owned_task;

int ice_scan_task_copy(ice_scan_task **out, const ice_scan_task *task)
{
	owned_task *o;
	int rc;
	*out = NULL;
	if (!(o = ice__calloc(1, sizeof(*o))))
		return ICE_ERROR;
	o->task = *task;
	if ((rc = ice_data_file_copy(&o->file, task->file)) != 0)
		goto fail;
	o->task.file = o->file;
	if (task->ndeletes) {
		if (!(o->deletes = ice__memdup(task->deletes, task->ndeletes * sizeof(ice_scan_delete)))) {
			rc = ICE_ERROR;
			goto fail;
		}
	}
	o->task.deletes = o->deletes;
	if (task->residual && (rc = ice_expr_copy(&o->residual, task->residual)) != 0)
		goto fail;
	o->task.residual = o->residual;
	*out = &o->task;
	return 0;
fail:
	ice_scan_task_free(&o->task);
	return rc;
}

void ice_scan_task_free(ice_scan_task *task)
{
	owned_task *o = (owned_task *)task;
	if (!o)
		return;
	ice_data_file_free(o->file);
	ice__free(o->deletes);
	ice_expr_free(o->residual);
	ice__free(o);
}

static void partition_json(ice_json_writer *w, const ice_partition_spec *spec, const ice_data_file *f)
{
	ice_json_begin_object(w);
	for (size_t i = 0; i < f->n_partition; i++) {
		char id[24];
		const char *name = spec && i < spec->nfields ? spec->fields[i].name : NULL;
		if (!name) {
			snprintf(id, sizeof(id), "%zu", i);
			name = id;
		}
		ice_json_key(w, name);
		if (f->partition[i].is_null || ice_literal_write_json(&f->partition[i], w) != 0)
			ice_json_null(w);
	}
	ice_json_end_object(w);
}

static void delete_json(ice_json_writer *w, const ice_scan_delete *d)
{
	const ice_data_file *f = d->file;
	ice_json_begin_object(w);
	ice_json_key(w, "content");
	ice_json_string(w, ice_file_content_name(f->content));
	ice_json_key(w, "file_path");
	ice_json_string(w, f->file_path);
	ice_json_key(w, "file_format");
	ice_json_string(w, f->file_format);
	ice_json_key(w, "record_count");
	ice_json_int(w, f->record_count);
	ice_json_key(w, "data_sequence_number");
	ice_json_int(w, d->data_sequence_number);
	ice_json_key(w, "file_sequence_number");
	ice_json_int(w, d->file_sequence_number);
	if (f->referenced_data_file) {
		ice_json_key(w, "referenced_data_file");
		ice_json_string(w, f->referenced_data_file);
	}
	if (f->has_content_offset) {
		ice_json_key(w, "content_offset");
		ice_json_int(w, f->content_offset);
	}
	if (f->has_content_size_in_bytes) {
		ice_json_key(w, "content_size_in_bytes");
		ice_json_int(w, f->content_size_in_bytes);
	}
	if (f->equality_ids.present) {
		ice_json_key(w, "equality_ids");
		ice_json_begin_array(w);
		for (size_t i = 0; i < f->equality_ids.n; i++)
			ice_json_int(w, f->equality_ids.items[i]);
		ice_json_end_array(w);
	}
	ice_json_end_object(w);
}

int ice_scan_task_write_json(const ice_scan_task *task, ice_json_writer *w)
{
	const ice_data_file *f = task->file;
	ice_json_begin_object(w);
	ice_json_key(w, "file_path");
	ice_json_string(w, f->file_path);
	ice_json_key(w, "file_format");
	ice_json_string(w, f->file_format);
	ice_json_key(w, "record_count");
	ice_json_int(w, f->record_count);
	ice_json_key(w, "file_size_in_bytes");
	ice_json_int(w, f->file_size_in_bytes);
	ice_json_key(w, "spec_id");
	ice_json_int(w, task->spec ? task->spec->spec_id : f->partition_spec_id);
	ice_json_key(w, "partition");
	partition_json(w, task->spec, f);
	ice_json_key(w, "data_sequence_number");
	ice_json_int(w, task->data_sequence_number);
	ice_json_key(w, "file_sequence_number");
	ice_json_int(w, task->file_sequence_number);
	ice_json_key(w, "deletes");
	ice_json_begin_array(w);
	for (size_t i = 0; i < task->ndeletes; i++)
		delete_json(w, &task->deletes[i]);
	ice_json_end_array(w);
	ice_json_key(w, "residual");
	if (task->residual) {
		char *text = ice_expr_to_string(task->residual);
		if (!text)
			return ICE_ERROR;
		ice_json_string(w, text);
		ice__free(text);
	} else {
		ice_json_null(w);
	}
	return ice_json_end_object(w);
}
