// Single place that pulls in CBLAS and LAPACKE so the include quirks live here only.
#pragma once
#include <cblas.h>
#include <lapacke.h>
