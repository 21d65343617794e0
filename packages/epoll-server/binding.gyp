{
  # Plain C against Node-API (no node-addon-api: about 6 ns per call instead of 15).
  "targets": [
    {
      "target_name": "epoll_server",
      "sources": [
        "native/addon.c",
        "native/args.c",
        "native/errors.c",
        "native/address.c",
        "native/socket.c",
        "native/io.c",
        "native/mask.c",
        "native/options.c",
        "native/eventing/epoll.c",
        "<!@(node -p \"require('@simple-stream/native-common').sources.join(' ')\")"
      ],
      "include_dirs": ["<!(node -p \"require('@simple-stream/native-common').include\")"],
      "defines": ["NAPI_VERSION=9", "_GNU_SOURCE"],
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
