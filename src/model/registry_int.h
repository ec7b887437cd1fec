/* registry_int.h — what the registry's two files share (not a public interface). */
#ifndef APS_MODEL_REGISTRY_INT_H
#define APS_MODEL_REGISTRY_INT_H

#include "model/ensemble.h"

/* mkdir -p path. */
int aps_registry_mkdirs(const char *path);
/* Writes model.json and the boosters of t into dir (created when missing). */
int aps_registry_write_model(const struct aps_trained *t, const char *dir);

#endif
