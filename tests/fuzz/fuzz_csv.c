/*
 * Fuzz target: the CSV reader (table/csv.c) and the conversion of its
 * fields to values (table/values.c). The first byte picks the delimiter
 * and whether the input is read as CSV or as whole lines; the rest is the
 * file. Every field is converted to a type of a fixed schema (by its
 * column), as ice append converts CSV fields: whatever the bytes, the
 * reader ends with a record stream or an error naming a line, and a
 * converted value is of the type asked for. The same file read in blocks
 * (lines without quotes split apart) gives the same records, and each
 * column of a block converts into a builder of its type or names a row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "ice.h"
#include "ingest/csv.h"
#include "ingest/textcols.h"
#include "ingest/values.h"
#include "util/arena.h"

static const char *schema_text = "b boolean, i int, l long, f float, d double, dec decimal(9,3), dt date, "
                                 "tm time, ts timestamp, tz timestamptz, s string, u uuid, fx fixed[3], bin binary, "
                                 "tags list<int>, m map<string, long>, st struct<x: int, y: string>";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char delims[] = {',', ';', '\t', '|'};
	static ice_schema *schema;
	char path[64];
	if (size < 1)
		return 0;
	if (!schema && ice_schema_parse_dsl(&schema, schema_text) != 0)
		__builtin_trap();
	snprintf(path, sizeof(path), "/tmp/ice-fuzz-csv-%d.csv", (int)getpid());
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data + 1, 1, size - 1, f);
	fclose(f);
	ice_io *io;
	if (ice_io_new(&io) != 0) {
		unlink(path);
		return 0;
	}
	csv_reader *r = NULL;
	bool lines = data[0] & 0x80, pg = (data[0] & 0x10) && !lines;
	int rc = lines ? ice_csv__open_lines(&r, io, path)
	         : pg  ? ice_csv__open_pgtext(&r, io, path, delims[data[0] & 3])
	               : ice_csv__open(&r, io, path, delims[data[0] & 3]);
	int64_t nrecords = -1;
	if (rc == 0) {
		csv_record rec;
		ice_arena arena;
		int64_t last_line = 0;
		size_t nfields = ice_schema_field_count(schema);
		ice_arena__init(&arena, 1024);
		while ((rc = ice_csv__next(r, &rec)) == 0) {
			/* records start on later lines; a JSON array's elements may share one */
			FUZZ_ASSERT(lines ? rec.line >= last_line : rec.line > last_line);
			FUZZ_ASSERT(!lines || rec.n == 1);
			last_line = rec.line;
			for (size_t c = 0; c < rec.n && c < 64; c++) {
				const ice_type *t = ice_schema_field_at(schema, c % nfields)->type;
				ice_literal v;
				if (ice_value__from_text(&v, t, (const char *)rec.fields[c].data, rec.fields[c].len, &arena, NULL) == 0)
					FUZZ_ASSERT(v.is_null || v.type == t->id);
				else
					FUZZ_ASSERT(ice_error_last() != NULL);
				ice_error_clear();
			}
			ice_arena__free(&arena);
		}
		FUZZ_ASSERT(rc == ICE_ITEROVER || ice_error_last() != NULL);
		if (rc == ICE_ITEROVER)
			nrecords = last_line;
		ice_arena__free(&arena);
	}
	ice_csv__free(r);
	r = NULL;
	ice_error_clear();
	rc = lines ? ice_csv__open_lines(&r, io, path)
	     : pg  ? ice_csv__open_pgtext(&r, io, path, delims[data[0] & 3])
	           : ice_csv__open(&r, io, path, delims[data[0] & 3]);
	if (rc == 0 && !pg) {
		csv_reader *r2 = NULL;
		csv_block blk;
		size_t ncols = 1 + (data[0] >> 2 & 3);
		memset(&blk, 0, sizeof(blk));
		FUZZ_ASSERT((lines ? ice_csv__open_lines(&r2, io, path) : ice_csv__open(&r2, io, path, delims[data[0] & 3])) == 0);
		while ((rc = ice_csv__next_block(r, &blk, ncols, 7, NULL)) == 0) {
			FUZZ_ASSERT(blk.n > 0 && blk.n <= 7);
			for (size_t k = 0; k < blk.n; k++) {
				csv_record rec;
				FUZZ_ASSERT(ice_csv__next(r2, &rec) == 0);
				FUZZ_ASSERT(rec.line == blk.lines[k] && rec.n == blk.counts[k]);
				for (size_t c = 0; c < rec.n && c < ncols; c++) {
					const csv_field *cf = &blk.fields[k * ncols + c];
					FUZZ_ASSERT((cf->len & ~ICE_CSV_QUOTED) == rec.fields[c].len);
					FUZZ_ASSERT(memcmp(blk.base + cf->off, rec.fields[c].data, rec.fields[c].len) == 0);
				}
			}
			uint8_t skip[7];
			for (size_t k = 0; k < blk.n; k++)
				skip[k] = blk.counts[k] < ncols;
			for (size_t c = 0; c < ncols; c++) {
				const ice_field *fld = ice_schema_field_at(schema, c % ice_schema_field_count(schema));
				col_builder b;
				textcol_errors errs = {NULL, 0, 0, true};
				textcol_opts o = {"", 0, (data[0] & 0x40) != 0, {(data[0] & 0x20) != 0, false}};
				FUZZ_ASSERT(ice_columns__init(&b, fld->type, fld->name) == 0);
				int crc = ice_textcol__convert(&b, fld->type, false, &blk, c, skip, &o, &errs);
				FUZZ_ASSERT(crc >= 0);
				FUZZ_ASSERT((crc == 1) == (errs.n > 0));
				for (size_t e = 0; e < errs.n; e++)
					FUZZ_ASSERT(errs.items[e].row < blk.n && !skip[errs.items[e].row]);
				if (crc == 0) {
					struct ArrowArray a;
					struct ArrowSchema sc;
					FUZZ_ASSERT(ice_columns__finish_array(&b, &a, &sc, true) == 0);
					a.release(&a);
					sc.release(&sc);
				}
				ice_textcol__errors_free(&errs);
				ice_columns__free(&b);
			}
		}
		FUZZ_ASSERT(rc == ICE_ITEROVER || ice_error_last() != NULL);
		if (rc == ICE_ITEROVER && nrecords >= 0) {
			csv_record rec;
			FUZZ_ASSERT(ice_csv__next(r2, &rec) == ICE_ITEROVER);
		}
		ice_csv__block_free(&blk);
		ice_csv__free(r2);
	} else if (rc == 0) {
		/* PostgreSQL text: read in blocks only; every column converts or names a row */
		csv_block blk;
		size_t ncols = 1 + (data[0] >> 2 & 3);
		memset(&blk, 0, sizeof(blk));
		int64_t last = 0;
		while ((rc = ice_csv__next_block(r, &blk, ncols, 5, NULL)) == 0) {
			uint8_t skip[5];
			for (size_t k = 0; k < blk.n; k++) {
				FUZZ_ASSERT(blk.lines[k] > last);
				last = blk.lines[k];
				skip[k] = blk.counts[k] < ncols;
			}
			for (size_t c = 0; c < ncols; c++) {
				const ice_field *fld = ice_schema_field_at(schema, (c * 5 + (size_t)data[0]) % ice_schema_field_count(schema));
				col_builder b;
				textcol_errors errs = {NULL, 0, 0, true};
				textcol_opts o = {"\\N", 2, false, {false}};
				FUZZ_ASSERT(ice_columns__init(&b, fld->type, fld->name) == 0);
				int crc = ice_textcol__convert(&b, fld->type, false, &blk, c, skip, &o, &errs);
				FUZZ_ASSERT(crc >= 0 && (crc == 1) == (errs.n > 0));
				ice_textcol__errors_free(&errs);
				ice_columns__free(&b);
			}
		}
		FUZZ_ASSERT(rc == ICE_ITEROVER || ice_error_last() != NULL);
		ice_csv__block_free(&blk);
	}
	ice_csv__free(r);
	ice_io_free(io);
	unlink(path);
	ice_error_clear();
	return 0;
}
