{
  "targets": [
    {
      "target_name": "qtlflow_gemm",
      "sources": ["gemm.c"],
      "cflags": ["-O2", "<!@(pkg-config --cflags openblas)"],
      "libraries": ["<!@(pkg-config --libs openblas)"],
      "ldflags": ["-Wl,-rpath,<!(pkg-config --variable=libdir openblas)"]
    }
  ]
}
