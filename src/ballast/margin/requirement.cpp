#include "ballast/margin/requirement.hpp"
