# The libraries the numeric core links: shared OpenBLAS/LAPACKE by default, or with
# TDAKIT_STATIC_BLAS=ON the static archives (Debian: libopenblas-pthread-dev, liblapacke-dev,
# libgfortran-12-dev), so that the prebuilt addon needs nothing beyond glibc.
if(NOT TDAKIT_STATIC_BLAS)
  set(TDAKIT_LINALG_LIBS ${TDAKIT_LAPACKE_LIB} ${LAPACK_LIBRARIES} ${BLAS_LIBRARIES})
  return()
endif()

# Debian's libopenblas.a (pthread variant) carries BLAS, CBLAS and LAPACK.
find_library(TDAKIT_OPENBLAS_STATIC NAMES libopenblas.a PATH_SUFFIXES openblas-pthread openblas)
find_library(TDAKIT_LAPACKE_STATIC NAMES liblapacke.a)
# The Fortran runtime lives in the compiler's own directory; ask the compiler for it.
foreach(lib gfortran quadmath)
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=lib${lib}.a
    OUTPUT_VARIABLE TDAKIT_${lib}_STATIC OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT IS_ABSOLUTE "${TDAKIT_${lib}_STATIC}" OR NOT EXISTS "${TDAKIT_${lib}_STATIC}")
    set(TDAKIT_${lib}_STATIC "")
  endif()
endforeach()
if(NOT TDAKIT_OPENBLAS_STATIC OR NOT TDAKIT_LAPACKE_STATIC OR NOT TDAKIT_gfortran_STATIC OR NOT TDAKIT_quadmath_STATIC)
  message(FATAL_ERROR
    "TDAKIT_STATIC_BLAS needs the static archives. On Debian/Ubuntu install them with:\n"
    "  apt-get install -y --no-install-recommends libopenblas-dev liblapacke-dev libgfortran-12-dev\n"
    "(found: libopenblas.a=${TDAKIT_OPENBLAS_STATIC} liblapacke.a=${TDAKIT_LAPACKE_STATIC} "
    "libgfortran.a=${TDAKIT_gfortran_STATIC} libquadmath.a=${TDAKIT_quadmath_STATIC})")
endif()
find_package(Threads REQUIRED)
set(TDAKIT_LINALG_LIBS ${TDAKIT_LAPACKE_STATIC} ${TDAKIT_OPENBLAS_STATIC}
  ${TDAKIT_gfortran_STATIC} ${TDAKIT_quadmath_STATIC} Threads::Threads m)
message(STATUS "tdakit: static OpenBLAS ${TDAKIT_OPENBLAS_STATIC}, LAPACKE ${TDAKIT_LAPACKE_STATIC}")
