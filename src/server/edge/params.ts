import * as z from "zod";
import { resourceNameField } from "../../api/index.js";

/** Path parameters, shared by the HTTP routes and the in-process API. */
export const UserParams = z.object({ userId: z.uuid() });
export const TokenParams = UserParams.extend({ tokenId: z.uuid() });
export const ResourceParams = z.object({ name: resourceNameField });
