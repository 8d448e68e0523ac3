/*
 * ice.h - libicetable, an Apache Iceberg table-format library in C.
 *
 * Include this umbrella header, or the per-concept headers under ice/.
 * See docs/ARCHITECTURE.md for the layers and the error and ownership rules.
 */
#ifndef ICE_H
#define ICE_H

#include "ice/alloc.h"
#include "ice/arena.h"
#include "ice/arrow.h"
#include "ice/catalog.h"
#include "ice/compact.h"
#include "ice/common.h"
#include "ice/delete.h"
#include "ice/errors.h"
#include "ice/expr.h"
#include "ice/io.h"
#include "ice/json.h"
#include "ice/literal.h"
#include "ice/maintain.h"
#include "ice/manifest.h"
#include "ice/metadata_builder.h"
#include "ice/name_mapping.h"
#include "ice/parquet.h"
#include "ice/partition_spec.h"
#include "ice/puffin.h"
#include "ice/refs.h"
#include "ice/rewrite_manifests.h"
#include "ice/scan.h"
#include "ice/serve.h"
#include "ice/schema.h"
#include "ice/snapshot.h"
#include "ice/table.h"
#include "ice/table_dsl.h"
#include "ice/write.h"
#include "ice/table_metadata.h"
#include "ice/transform.h"
#include "ice/types.h"
#include "ice/update.h"
#include "ice/view_metadata.h"

#endif
