// Announcements (最新消息) edited in the county administration console.
import { randomUUID } from 'node:crypto';
import { audit, type CountyTx } from '../db.ts';
import { type Announcement, invalidateContent } from './pages.ts';

export interface AnnouncementEdit {
  title: string;
  category: string;
  author: string;
  body: string;
  publishedAt: Date;
}

export function findAnnouncement(
  db: CountyTx,
  tenant: string,
  id: string,
): Promise<Announcement | undefined> {
  return db
    .selectFrom('county_announcements')
    .selectAll()
    .where('tenant', '=', tenant)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Adds an announcement with its audit record in the caller's transaction; returns its id. */
export async function createAnnouncement(
  db: CountyTx,
  tenant: string,
  edit: AnnouncementEdit & { actor: string; ip: string | null },
): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('county_announcements')
    .values({
      id,
      tenant,
      title: edit.title,
      category: edit.category,
      author: edit.author,
      body_markdown: edit.body,
      published_at: edit.publishedAt,
    })
    .execute();
  invalidateContent(tenant);
  await audit(db, {
    tenant,
    actor: edit.actor,
    action: 'announcement.created',
    target: id,
    ip: edit.ip,
    details: { title: edit.title },
  });
  return id;
}

/**
 * Saves an announcement edited from version `basedOn`, with its audit record, in the caller's
 * transaction. Writes nothing and returns undefined when it was saved or deleted in between.
 */
export async function updateAnnouncement(
  db: CountyTx,
  tenant: string,
  id: string,
  edit: AnnouncementEdit & { basedOn: number; actor: string; ip: string | null },
): Promise<Announcement | undefined> {
  // The version check is part of the write, so of two saves from the same version only one wins.
  const saved = await db
    .updateTable('county_announcements')
    .set({
      title: edit.title,
      category: edit.category,
      author: edit.author,
      body_markdown: edit.body,
      published_at: edit.publishedAt,
      version: edit.basedOn + 1,
      updated_by: edit.actor,
      updated_at: new Date(),
    })
    .where('tenant', '=', tenant)
    .where('id', '=', id)
    .where('version', '=', edit.basedOn)
    .returningAll()
    .executeTakeFirst();
  if (!saved) return undefined;
  invalidateContent(tenant);
  await audit(db, {
    tenant,
    actor: edit.actor,
    action: 'announcement.updated',
    target: id,
    ip: edit.ip,
    details: { title: edit.title },
  });
  return saved;
}

/**
 * Deletes an announcement the administrator saw at version `basedOn`, with its audit record, in the
 * caller's transaction. Deletes nothing and returns undefined when it was edited or deleted in between.
 */
export async function deleteAnnouncement(
  db: CountyTx,
  tenant: string,
  id: string,
  input: { basedOn: number; actor: string; ip: string | null },
): Promise<Announcement | undefined> {
  // As for a save, the version check is part of the write.
  const deleted = await db
    .deleteFrom('county_announcements')
    .where('tenant', '=', tenant)
    .where('id', '=', id)
    .where('version', '=', input.basedOn)
    .returningAll()
    .executeTakeFirst();
  if (!deleted) return undefined;
  invalidateContent(tenant);
  await audit(db, {
    tenant,
    actor: input.actor,
    action: 'announcement.deleted',
    target: id,
    ip: input.ip,
    details: { title: deleted.title, version: deleted.version },
  });
  return deleted;
}
