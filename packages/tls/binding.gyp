{
  # Plain C against Node-API, like @simple-stream/epoll-server. OpenSSL comes from the
  # node binary: Node's own headers (include/node/openssl, already on node-gyp's include
  # path) and no libssl/libcrypto on the link line, so the symbols resolve from the node
  # executable at load time and there is one OpenSSL in the process.
  "targets": [
    {
      "target_name": "tls",
      "sources": [
        "native/addon.c",
        "native/props.c",
        "native/errors.c",
        "native/bio.c",
        "native/context.c",
        "native/conn.c",
        "native/sni.c",
        "native/info.c",
        "<!@(node -p \"require('@simple-stream/native-common').sources.join(' ')\")"
      ],
      "include_dirs": ["<!(node -p \"require('@simple-stream/native-common').include\")"],
      "defines": ["NAPI_VERSION=9", "_GNU_SOURCE", "OPENSSL_API_COMPAT=30000", "OPENSSL_NO_DEPRECATED"],
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
