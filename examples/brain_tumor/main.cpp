// brain_tumor: the seed paper's brain-tumour MRI classifier, on glia.
#include <cstring>
#include <iostream>
#include <stdexcept>

#include "cli.hpp"
#include "commands.hpp"
#include "dataset.hpp"

namespace {

const char* kUsage = R"(usage: brain_tumor <command> [options]

commands:
  train      train the seed network (built-in synthetic data unless --data is given)
  evaluate   accuracy, F1, precision, recall, ROC AUC of a model on DIR/yes and DIR/no
  predict    probability of a tumour for each image
  convert    save a Keras HDF5 model (the seed's checkpoint) as a glia checkpoint
  explain    Grad-CAM heat map of the region that drove the decision

Run 'brain_tumor <command> --help' for the command's options.
)";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  try {
    if (command == "train") return brain_tumor::run_train(argc, argv);
    if (command == "evaluate") return brain_tumor::run_evaluate(argc, argv);
    if (command == "predict") return brain_tumor::run_predict(argc, argv);
    if (command == "convert") return brain_tumor::run_convert(argc, argv);
    if (command == "explain") return brain_tumor::run_explain(argc, argv);
    throw brain_tumor::UsageError("unknown command '" + command + "'");
  } catch (const brain_tumor::UsageError& e) {
    std::cerr << "brain_tumor: " << e.what() << "\n\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "brain_tumor: " << e.what() << "\n";
    return 1;
  }
}
