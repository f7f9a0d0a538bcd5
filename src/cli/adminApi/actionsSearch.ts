import { z } from 'zod';
import type { Deadline } from '../../zitadel/deadline.js';
import { readAllPages, type ZitadelCall } from '../../zitadel/transport.js';

/** Which Action Service an instance offers: `v2` (ZITADEL v4+) or `v2beta` (v3): the same messages under another prefix. */
export type ActionsApiVersion = 'v2' | 'v2beta';

// zitadel.filter.v2.PaginationResponse: total_result is a uint64, a string in protojson.
export const actionsPaginationSchema = z
  .object({ totalResult: z.union([z.string(), z.number()]).optional() })
  .optional();

// Action Service listings: targets and executions are few; the page cap only ends a runaway listing.
const ACTIONS_PAGE_SIZE = 100;
const ACTIONS_MAX_PAGES = 100;

/** The Action Service path of one target, for the calls made on it. */
export const targetPath = (api: ActionsApiVersion, targetId: string) =>
  `/${api}/actions/targets/${encodeURIComponent(targetId)}`;

/**
 * Every item of an Action Service search: `body` is the request besides its pagination, `itemsOf` picks the page's
 * list. All of them page the same way (offset/limit, then totalResult).
 */
export function searchActions<
  Operation extends string,
  Page extends { pagination?: { totalResult?: string | number | undefined } | undefined },
  Item,
>(
  call: ZitadelCall<Operation>,
  operation: Operation,
  url: string,
  body: Record<string, unknown>,
  schema: z.ZodType<Page>,
  itemsOf: (page: Page) => Item[] | undefined,
  deadline: Deadline,
): Promise<Item[]> {
  return readAllPages(
    async (offset) => {
      const page = await call(
        operation,
        {
          method: 'POST',
          url,
          data: { pagination: { offset: String(offset), limit: ACTIONS_PAGE_SIZE, asc: true }, ...body },
        },
        schema,
        deadline,
      );
      return { items: itemsOf(page) ?? [], total: page.pagination?.totalResult };
    },
    ACTIONS_PAGE_SIZE,
    ACTIONS_MAX_PAGES,
  );
}
