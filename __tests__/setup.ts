// cdktf's own jest matchers (toHaveResourceWithProperties, toBeValidTerraform, ...).
import { Testing } from "cdktf";
// The matchers' type declarations (a global augmentation of jest.Matchers).
import type {} from "cdktf/lib/testing/adapters/jest";

process.env.CHECKPOINT_DISABLE = "1";
Testing.setupJest();
