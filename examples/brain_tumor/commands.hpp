// The sub-commands of brain_tumor. Each returns the process exit code: 0 success, 1 a data or
// file problem (message on stderr), 2 a usage error.
#pragma once

namespace brain_tumor {

int run_train(int argc, char** argv);
int run_evaluate(int argc, char** argv);
int run_predict(int argc, char** argv);
int run_convert(int argc, char** argv);
int run_explain(int argc, char** argv);

}  // namespace brain_tumor
