{
  # Plain C against Node-API, like @simple-stream/tls. zlib comes from the node binary:
  # Node's own headers (include/node/zlib.h, already on node-gyp's include path) and no
  # libz on the link line, so the symbols resolve from the node executable at load time
  # and the process holds one zlib.
  "targets": [
    {
      "target_name": "websocket",
      "sources": [
        "native/addon.c",
        "native/args.c",
        "native/memory.c",
        "native/objects.c",
        "native/sink.c",
        "native/inflate.c",
        "native/deflate.c",
        "<!@(node -p \"require('@simple-stream/native-common').sources.join(' ')\")"
      ],
      "include_dirs": ["<!(node -p \"require('@simple-stream/native-common').include\")"],
      "defines": ["NAPI_VERSION=9"],
      "cflags": ["-std=gnu11", "-fvisibility=hidden", "-Wall", "-Wextra"],
      # node's common.gypi adds -Wno-unused-parameter; we stay clean without it.
      "cflags!": ["-Wno-unused-parameter"],
      "configurations": {
        "Release": {
          "cflags!": ["-O3"],
          "cflags": ["-O2"]
        }
      },
      "conditions": [
        ["OS!='linux'", { "type": "none" }]
      ]
    }
  ]
}
