import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { requireUser } from '../../http/auth.ts';
import { sendBlob } from '../../http/send-blob.ts';
import { registerShareRoutes } from '../../http/share-routes.ts';
import type { User } from '../../platform/accounts.service.ts';
import { ACCESSES } from '../../platform/access.ts';
import type { Platform } from '../../platform/platform.ts';
import type { BlobStore } from '../../storage/blob-store.ts';
import { userFileResponse } from '../workspace/user-file.ts';
import type { Post } from './blog.repository.ts';
import { BLOG, type BlogService } from './blog.service.ts';

const TAG = 'blog';
const id = z.string().min(1).max(64);
const title = z.string().trim().min(1).max(300);
const description = z.string().max(5000);
/** Post HTML: sanitised on write; the request body limit (1 MiB) bounds it too. */
const content = z.string().max(500_000);
const commentPolicy = z.enum(['NONE', 'IMMEDIATE', 'RESTRAINT']);
const publicationPolicy = z.enum(['IMMEDIATE', 'RESTRAINT']);
const postState = z.enum(['DRAFT', 'SUBMITTED', 'PUBLISHED']);
const access = z.enum(ACCESSES);

const blogSchema = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  thumbnailId: z.string().nullable(),
  thumbnailUrl: z.string().nullable(),
  commentPolicy,
  publicationPolicy,
  ownerId: z.string(),
  ownerName: z.string(),
  createdAt: z.number(),
  modifiedAt: z.number(),
  access,
});

const postSchema = z.object({
  id: z.string(),
  blogId: z.string(),
  title: z.string(),
  content: z.string(),
  state: postState,
  authorId: z.string(),
  authorName: z.string(),
  createdAt: z.number(),
  modifiedAt: z.number(),
  firstPublishedAt: z.number().nullable(),
});

const commentSchema = z.object({
  id: z.string(),
  postId: z.string(),
  authorId: z.string(),
  authorName: z.string(),
  text: z.string(),
  state: z.enum(['PENDING', 'PUBLISHED']),
  createdAt: z.number(),
});

const imageSchema = z.object({
  id: z.string(),
  name: z.string(),
  size: z.number(),
  contentType: z.string(),
  url: z.string(),
  readerUrl: z.string(),
});

const blogParams = z.object({ id });
const postParams = z.object({ id, postId: id });
const commentParams = z.object({ id, postId: id, commentId: id });

export function blogRoutes(deps: {
  blog: BlogService;
  platform: Platform;
  blobs: BlobStore;
}): FastifyPluginAsyncZod {
  const { blog, platform, blobs } = deps;
  return async (app) => {
    /** A route on one post (`/api/blog/blogs/:id/posts/:postId<path>`) answering the post. */
    const postRoute = (
      method: 'GET' | 'POST',
      path: string,
      summary: string,
      run: (user: User, blogId: string, postId: string) => Promise<Post>,
    ) =>
      app.route({
        method,
        url: `/api/blog/blogs/:id/posts/:postId${path}`,
        schema: { tags: [TAG], summary, params: postParams, response: { 200: postSchema } },
        handler: async (request) =>
          run(requireUser(request), request.params.id, request.params.postId),
      });

    // ---- blogs ----------------------------------------------------------------------------

    app.post(
      '/api/blog/blogs',
      {
        schema: {
          tags: [TAG],
          summary: 'Create a blog (right blog.create)',
          body: z.strictObject({
            title,
            description: description.optional(),
            thumbnailId: id.nullable().optional(),
            commentPolicy: commentPolicy.optional(),
            publicationPolicy: publicationPolicy.optional(),
          }),
          response: { 201: blogSchema },
        },
      },
      async (request, reply) => {
        const created = await blog.createBlog(requireUser(request), request.body);
        return reply.status(201).send(created);
      },
    );

    app.get(
      '/api/blog/blogs',
      {
        schema: {
          tags: [TAG],
          summary: 'My blogs and the blogs shared with me',
          response: { 200: z.object({ items: z.array(blogSchema) }) },
        },
      },
      async (request) => ({ items: await blog.listBlogs(requireUser(request)) }),
    );

    app.get(
      '/api/blog/blogs/:id',
      {
        schema: {
          tags: [TAG],
          summary: 'A blog',
          params: blogParams,
          response: { 200: blogSchema },
        },
      },
      async (request) => blog.getBlog(requireUser(request), request.params.id),
    );

    app.patch(
      '/api/blog/blogs/:id',
      {
        schema: {
          tags: [TAG],
          summary: "Change a blog's title, description, thumbnail or policies (managers)",
          params: blogParams,
          body: z.strictObject({
            title: title.optional(),
            description: description.optional(),
            thumbnailId: id.nullable().optional(),
            commentPolicy: commentPolicy.optional(),
            publicationPolicy: publicationPolicy.optional(),
          }),
          response: { 200: blogSchema },
        },
      },
      async (request) => blog.updateBlog(requireUser(request), request.params.id, request.body),
    );

    app.delete(
      '/api/blog/blogs/:id',
      {
        schema: {
          tags: [TAG],
          summary: 'Delete a blog with its posts and comments (owner)',
          params: blogParams,
        },
      },
      async (request, reply) => {
        await blog.deleteBlog(requireUser(request), request.params.id);
        return reply.status(204).send();
      },
    );

    // ---- posts ----------------------------------------------------------------------------

    app.post(
      '/api/blog/blogs/:id/posts',
      {
        schema: {
          tags: [TAG],
          summary:
            'Write a post (contributors). state DRAFT keeps it as a draft; otherwise it is ' +
            'published, or submitted to the managers when the blog reviews posts',
          params: blogParams,
          body: z.strictObject({ title, content, state: postState.optional() }),
          response: { 201: postSchema },
        },
      },
      async (request, reply) => {
        const post = await blog.createPost(requireUser(request), request.params.id, request.body);
        return reply.status(201).send(post);
      },
    );

    app.get(
      '/api/blog/blogs/:id/posts',
      {
        schema: {
          tags: [TAG],
          summary:
            'Posts I see: published ones, my own, and (managers) those submitted; newest first',
          params: blogParams,
          querystring: z.object({ state: postState.optional() }),
          response: { 200: z.object({ items: z.array(postSchema) }) },
        },
      },
      async (request) => ({
        items: await blog.listPosts(requireUser(request), request.params.id, request.query.state),
      }),
    );

    postRoute('GET', '', 'A post', (user, blogId, postId) => blog.getPost(user, blogId, postId));

    app.patch(
      '/api/blog/blogs/:id/posts/:postId',
      {
        schema: {
          tags: [TAG],
          summary:
            'Change a post (its author or a manager); a published post changed without the ' +
            'right to publish goes back to review',
          params: postParams,
          body: z.strictObject({ title: title.optional(), content: content.optional() }),
          response: { 200: postSchema },
        },
      },
      async (request) =>
        blog.updatePost(
          requireUser(request),
          request.params.id,
          request.params.postId,
          request.body,
        ),
    );

    app.delete(
      '/api/blog/blogs/:id/posts/:postId',
      {
        schema: {
          tags: [TAG],
          summary: 'Delete a post (its author or a manager)',
          params: postParams,
        },
      },
      async (request, reply) => {
        await blog.deletePost(requireUser(request), request.params.id, request.params.postId);
        return reply.status(204).send();
      },
    );

    postRoute(
      'POST',
      '/publish',
      'Publish a post (managers; contributors when the blog does not review posts), or ' +
        'submit it for review (its author)',
      (user, blogId, postId) => blog.publishPost(user, blogId, postId),
    );

    postRoute(
      'POST',
      '/unpublish',
      "Take a post back to its author's drafts (its author or a manager)",
      (user, blogId, postId) => blog.unpublishPost(user, blogId, postId),
    );

    // ---- comments -------------------------------------------------------------------------

    app.get(
      '/api/blog/blogs/:id/posts/:postId/comments',
      {
        schema: {
          tags: [TAG],
          summary: "A post's comments, oldest first (managers also see those waiting)",
          params: postParams,
          response: { 200: z.object({ items: z.array(commentSchema) }) },
        },
      },
      async (request) => ({
        items: await blog.listComments(
          requireUser(request),
          request.params.id,
          request.params.postId,
        ),
      }),
    );

    app.post(
      '/api/blog/blogs/:id/posts/:postId/comments',
      {
        schema: {
          tags: [TAG],
          summary:
            'Comment a published post (plain text), as the comment policy allows: shown at ' +
            'once, or PENDING until a manager publishes it',
          params: postParams,
          body: z.strictObject({ text: z.string().trim().min(1).max(5000) }),
          response: { 201: commentSchema },
        },
      },
      async (request, reply) => {
        const comment = await blog.addComment(
          requireUser(request),
          request.params.id,
          request.params.postId,
          request.body.text,
        );
        return reply.status(201).send(comment);
      },
    );

    app.post(
      '/api/blog/blogs/:id/posts/:postId/comments/:commentId/publish',
      {
        schema: {
          tags: [TAG],
          summary: 'Publish a pending comment (managers)',
          params: commentParams,
          response: { 200: commentSchema },
        },
      },
      async (request) =>
        blog.publishComment(
          requireUser(request),
          request.params.id,
          request.params.postId,
          request.params.commentId,
        ),
    );

    app.delete(
      '/api/blog/blogs/:id/posts/:postId/comments/:commentId',
      {
        schema: {
          tags: [TAG],
          summary: 'Delete a comment (its author or a manager)',
          params: commentParams,
        },
      },
      async (request, reply) => {
        await blog.deleteComment(
          requireUser(request),
          request.params.id,
          request.params.postId,
          request.params.commentId,
        );
        return reply.status(204).send();
      },
    );

    // ---- images and documents -------------------------------------------------------------

    app.post(
      '/api/blog/blogs/:id/images',
      {
        schema: {
          tags: [TAG],
          summary:
            'Upload a picture for a post (multipart field "file", contributors): put `url` in ' +
            'the post HTML',
          consumes: ['multipart/form-data'],
          params: blogParams,
          response: { 201: imageSchema },
        },
      },
      async (request, reply) => {
        const user = requireUser(request);
        if (!request.isMultipart())
          throw new AppError('invalid_request', 'Send the file as multipart/form-data');
        const file = await request.file();
        if (file === undefined)
          throw new AppError('invalid_request', 'The multipart field "file" is missing');
        try {
          if (file.fieldname !== 'file')
            throw new AppError('invalid_request', 'The file must be sent in the field "file"');
          const image = await blog.uploadImage(user, request.params.id, {
            name: file.filename,
            body: file.file,
            truncated: () => file.file.truncated,
          });
          return reply.status(201).send(image);
        } finally {
          // Refused before its bytes were read: read them anyway, so the client gets our answer.
          file.file.resume();
        }
      },
    );

    // One handler for GET and HEAD, as for the workspace's own content route.
    app.route({
      method: ['GET', 'HEAD'],
      url: '/api/blog/blogs/:id/documents/:documentId',
      schema: {
        tags: [TAG],
        summary:
          "A document the blog shows (its thumbnail, an image of a post I see): the post HTML's " +
          '/api/workspace/documents/<id>/content, readable by every reader of the blog',
        params: z.object({ id, documentId: id }),
        querystring: z.object({ download: z.string().optional() }),
      },
      handler: async (request, reply) => {
        const { document, blobKey } = await blog.documentContent(
          requireUser(request),
          request.params.id,
          request.params.documentId,
        );
        const sent = userFileResponse(
          { ...document, blobKey },
          { download: request.query.download !== undefined },
        );
        reply.headers(sent.headers);
        return sendBlob(request, reply, blobs, sent.blob);
      },
    });

    // ---- sharing --------------------------------------------------------------------------

    registerShareRoutes(app, platform, {
      base: '/api/blog/blogs',
      app: BLOG,
      type: 'blog',
      tag: TAG,
      async requireManager(user, blogId) {
        const { blog: b } = await blog.requireBlog(user, blogId, 'manage');
        return { ownerId: b.ownerId, title: b.title, link: `/blog/${b.id}` };
      },
    });
  };
}
