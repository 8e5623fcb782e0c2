// SPDX-License-Identifier: Apache-2.0
#include "server/node_main.h"

int main(int argc, char** argv) { return optimystic::server::RunNode(argc, argv); }
